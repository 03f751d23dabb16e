/**
 * The trainer → tracker bridge: a short training run with a recording tracker receives one grid
 * of augmented samples and per-epoch weight and gradient histograms of every kernel — and the
 * values are the real ones (weights equal the trained kernels; gradients equal an independent
 * `tf.variableGrads` on the same first batch).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { isPng } from '../../src/data/png/png-chunks.js';
import { decodePng } from '../../src/data/png/png-decode.js';
import { trackerObserver } from '../../src/engine/tracker-observer.js';
import { kernelVariables } from '../../src/train/kernel-variables.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { trainableVariables } from '../../src/train/model-variables.js';
import { train } from '../../src/train/trainer.js';
import { syntheticSource, tinyConvModel, trainerConfig, useCpuBackend } from '../train/helpers.js';
import { RecordingTracker } from './recording-tracker.js';

const CLASSES = ['zero', 'one', 'two'];
const EPOCHS = 2;

function sources() {
  return {
    train: syntheticSource({ size: 80, numClasses: 3, seed: 3, shuffle: true }),
    validation: syntheticSource({ size: 24, numClasses: 3, seed: 4, shuffle: false }),
  };
}

/**
 * Kernel gradients of the first batch of epoch 1, computed outside the trainer on a fresh model
 * (in kernel order: the fresh model's layers get other auto-generated names).
 */
async function referenceGradients(): Promise<Float32Array[]> {
  const model = tinyConvModel({ numClasses: 3, seed: 1, dropout: 0 });
  const first = (await sources().train.batches(1, 16)[Symbol.asyncIterator]().next()).value;
  const x = tf.tensor4d(first.x, [first.n, 8, 8, 1]);
  const y = tf.tensor1d(first.y, 'int32');
  const { grads } = tf.variableGrads(() => {
    const logits = model.apply(x, { training: true }) as tf.Tensor;
    return softmaxCrossEntropy(logits, y, 0.1) as tf.Scalar;
  }, trainableVariables(model));
  const out: Float32Array[] = [];
  for (const k of kernelVariables(model)) out.push((await grads[k.variable.name]!.data()) as Float32Array);
  tf.dispose([x, y, ...Object.values(grads)]);
  model.dispose();
  return out;
}

beforeAll(async () => {
  await useCpuBackend();
});

describe('trackerObserver', () => {
  it('sends one sample grid and weight/gradient histograms of every kernel per epoch', async () => {
    const tracker = new RecordingTracker();
    const model = tinyConvModel({ numClasses: 3, seed: 1, dropout: 0 });
    const kernels = kernelVariables(model);
    expect(kernels.length).toBe(2);
    const observer = trackerObserver(tracker, { images: true, histograms: true, classes: CLASSES });
    const before = tf.memory().numTensors;
    await train({
      model,
      ...sources(),
      config: trainerConfig({ epochs: EPOCHS, batchSize: 16, ema: { enabled: false, decay: 0.99 } }),
      ...(observer ? { observer } : {}),
    });
    expect(tf.memory().numTensors).toBe(before);

    expect(tracker.images).toHaveLength(1);
    const [image] = tracker.images;
    expect(image?.key).toBe('samples/train');
    expect(image?.step).toBe(1);
    expect(isPng(image!.png)).toBe(true);
    // 16 images of 8×8 shown 7× enlarged, 8 per row: 2 rows of 8 tiles with 2-pixel gutters.
    const decoded = decodePng(image!.png);
    expect([decoded.width, decoded.height]).toEqual([8 * 58 + 2, 2 * 58 + 2]);
    expect(image?.caption).toMatch(/^row 1: (zero|one|two)(, (zero|one|two)){7}; row 2: /);

    const keys = kernels.map((k) => k.key);
    for (let epoch = 1; epoch <= EPOCHS; epoch++) {
      const atEpoch = tracker.histograms.filter((h) => h.step === epoch).map((h) => h.key);
      expect(atEpoch.sort()).toEqual(
        [...keys.map((k) => `weights/${k}`), ...keys.map((k) => `gradients/${k}`)].sort(),
      );
    }
    for (const k of kernels) {
      const last = tracker.histograms.find((h) => h.key === `weights/${k.key}` && h.step === EPOCHS);
      expect(last?.values).toEqual(Array.from(await k.variable.data()));
    }
    const reference = await referenceGradients();
    for (const [i, expected] of reference.entries()) {
      const logged = tracker.histograms.find((h) => h.key === `gradients/${keys[i]}` && h.step === 1);
      expect(logged?.values.length).toBe(expected.length);
      for (const [j, v] of (logged?.values ?? []).entries()) expect(v).toBeCloseTo(expected[j] as number, 5);
      expect(expected.some((v) => v !== 0)).toBe(true);
    }
    model.dispose();
  });

  it('sends nothing, and captures nothing, when both are off', async () => {
    expect(trackerObserver(new RecordingTracker(), { images: false, histograms: false, classes: [] })).toBe(
      undefined,
    );
    const tracker = new RecordingTracker();
    const observer = trackerObserver(tracker, { images: true, histograms: false, classes: CLASSES });
    const model = tinyConvModel({ numClasses: 3, seed: 1, dropout: 0 });
    await train({
      model,
      ...sources(),
      config: trainerConfig({ epochs: 1 }),
      ...(observer ? { observer } : {}),
    });
    expect(tracker.histograms).toHaveLength(0);
    expect(tracker.images.map((i) => i.key)).toEqual(['samples/train']);
    model.dispose();
  });
});
