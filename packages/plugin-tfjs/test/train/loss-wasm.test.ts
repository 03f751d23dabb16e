/**
 * The training loss on the wasm backend — the one `auto` picks without native TensorFlow or a GPU.
 * tfjs's `OneHot` is int32 unless told otherwise, and the wasm kernel writes int32 even when asked
 * for float32, so a smoothed target built with `tf.oneHot(labels, K, 0.91, 0.01)` is all zeros
 * there: the loss and every gradient vanish and nothing is learned, while the cpu backend (which
 * keeps the float values) hides the problem.
 */
import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs-core's gradient functions, as it does for the trainer (which trains a LayersModel).
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('softmaxCrossEntropy on wasm', () => {
  const rows = [
    [0.5, -1, 2, 0],
    [3, 0.2, -0.4, 1],
  ];
  const labels = [2, 1];

  function softmax(row: number[]): number[] {
    const max = Math.max(...row);
    const exps = row.map((z) => Math.exp(z - max));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / total);
  }

  it('runs on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  for (const smoothing of [0, 0.1]) {
    it(`gives timm's loss and gradient with smoothing ${smoothing}`, async () => {
      const logits = tf.tensor2d(rows);
      const y = tf.tensor1d(labels, 'int32');
      const { value, grad } = tf.valueAndGrad(
        (z: tf.Tensor) => softmaxCrossEntropy(z, y, smoothing) as tf.Scalar,
      )(logits);
      // d/dz of the smoothed cross-entropy: (softmax(z) − target) / batch,
      // target = (1 − s)·onehot + s/K.
      const k = rows[0]!.length;
      const expectedGrad = rows.flatMap((row, r) =>
        softmax(row).map(
          (p, c) => (p - ((c === labels[r] ? 1 - smoothing : 0) + smoothing / k)) / rows.length,
        ),
      );
      const expectedLoss =
        rows
          .map((row, r) => {
            const logp = softmax(row).map(Math.log);
            return (1 - smoothing) * -logp[labels[r]!]! + (smoothing * -logp.reduce((a, b) => a + b, 0)) / k;
          })
          .reduce((a, b) => a + b, 0) / rows.length;
      expect((await value.data())[0]).toBeCloseTo(expectedLoss, 5);
      const got = Array.from(await grad.data());
      got.forEach((g, i) => {
        expect(g).toBeCloseTo(expectedGrad[i]!, 5);
      });
      tf.dispose([logits, y, value, grad]);
    });
  }
});
