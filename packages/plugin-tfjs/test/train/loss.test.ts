import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanCrossEntropy } from '../../src/evaluate/metrics.js';
import { countCorrect, softmaxCrossEntropy } from '../../src/train/loss.js';
import { useCpuBackend } from './helpers.js';

beforeAll(async () => {
  await useCpuBackend();
});

/** timm's LabelSmoothingCrossEntropy for one row, by hand. */
function reference(logits: number[], label: number, smoothing: number): number {
  const max = Math.max(...logits);
  const logSumExp = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
  const logp = logits.map((z) => z - logSumExp);
  const nll = -logp[label]!;
  const smooth = -logp.reduce((a, b) => a + b, 0) / logits.length;
  return (1 - smoothing) * nll + smoothing * smooth;
}

describe('softmaxCrossEntropy', () => {
  it('matches a hand computation with label smoothing', () => {
    const loss = softmaxCrossEntropy(tf.tensor2d([[2, 1, 0]]), tf.tensor1d([0], 'int32'), 0.1);
    // logsumexp(2,1,0) = 2.40761; nll = 0.40761; mean(−logp) = 1.40761 → 0.9·0.40761 + 0.1·1.40761
    expect(loss.dataSync()[0]).toBeCloseTo(0.50761, 4);
    expect(loss.dataSync()[0]).toBeCloseTo(reference([2, 1, 0], 0, 0.1), 5);
  });

  it('averages rows, sums or returns them per example', () => {
    const logits = tf.tensor2d([
      [0.5, -1, 2, 0],
      [3, 0.2, -0.4, 1],
    ]);
    const labels = tf.tensor1d([2, 1], 'int32');
    const expected = [reference([0.5, -1, 2, 0], 2, 0.2), reference([3, 0.2, -0.4, 1], 1, 0.2)];
    expect(softmaxCrossEntropy(logits, labels, 0.2).dataSync()[0]).toBeCloseTo(
      (expected[0]! + expected[1]!) / 2,
      5,
    );
    expect(softmaxCrossEntropy(logits, labels, 0.2, 'sum').dataSync()[0]).toBeCloseTo(
      expected[0]! + expected[1]!,
      5,
    );
    const perExample = Array.from(softmaxCrossEntropy(logits, labels, 0.2, 'none').dataSync());
    expect(perExample[0]).toBeCloseTo(expected[0]!, 5);
    expect(perExample[1]).toBeCloseTo(expected[1]!, 5);
  });

  it('is plain cross-entropy without smoothing and agrees with the probability-based metric', () => {
    const rows = [
      [1, 2, 3],
      [0, 0, 5],
    ];
    const loss = softmaxCrossEntropy(tf.tensor2d(rows), tf.tensor1d([0, 2], 'int32'));
    const probs = tf.softmax(tf.tensor2d(rows)).dataSync();
    expect(loss.dataSync()[0]).toBeCloseTo(meanCrossEntropy(probs, [0, 2], 3), 5);
    const smoothed = softmaxCrossEntropy(tf.tensor2d(rows), tf.tensor1d([0, 2], 'int32'), 0.1);
    expect(smoothed.dataSync()[0]).toBeCloseTo(meanCrossEntropy(probs, [0, 2], 3, 0.1), 5);
  });

  it('stays finite for huge logits', () => {
    const loss = softmaxCrossEntropy(tf.tensor2d([[1000, 0, -1000]]), tf.tensor1d([1], 'int32'), 0.1);
    const value = loss.dataSync()[0]!;
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeCloseTo(reference([1000, 0, -1000], 1, 0.1), 2);
    // And the gradient is finite too.
    const grad = tf.grad((x: tf.Tensor) => softmaxCrossEntropy(x, tf.tensor1d([1], 'int32'), 0.1))(
      tf.tensor2d([[1000, 0, -1000]]),
    );
    expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('rejects a smoothing outside [0, 1)', () => {
    expect(() => softmaxCrossEntropy(tf.tensor2d([[1, 2]]), tf.tensor1d([0], 'int32'), 1)).toThrow(
      /smoothing/,
    );
  });
});

describe('countCorrect', () => {
  it('counts arg-max hits', () => {
    const correct = countCorrect(
      tf.tensor2d([
        [1, 2],
        [3, 0],
        [0, 1],
      ]),
      tf.tensor1d([1, 1, 1], 'int32'),
    );
    expect(correct.dataSync()[0]).toBe(2);
  });
});
