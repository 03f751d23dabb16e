import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../../src/train/adamw.js';
import { modelVariables, trainableVariables } from '../../src/train/model-variables.js';
import { withSeededMathRandom } from '../../src/train/seeded-random.js';
import { trainStep } from '../../src/train/train-step.js';
import { tinyConvModel, useCpuBackend } from './helpers.js';

beforeAll(async () => {
  await useCpuBackend();
});

function batch(seed: number) {
  return tf.tidy(() => ({
    x: tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', seed) as tf.Tensor4D,
    y: tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'),
  }));
}

describe('trainStep', () => {
  it('updates BatchNorm moving statistics in training mode only', async () => {
    const model = tinyConvModel({ numClasses: 3, seed: 1 });
    const movingMean = model.weights.find((w) => w.name.includes('moving_mean'))!;
    const { x, y } = batch(3);
    model.apply(x, { training: false });
    const untouched = Array.from(await movingMean.read().data());
    expect(untouched.every((v) => v === 0)).toBe(true);
    const params = trainableVariables(model);
    const optimizer = new AdamW(params, { learningRate: 0.01 });
    const step = trainStep({ model, params, optimizer, labelSmoothing: 0.1, gradClip: 1 }, x, y);
    tf.dispose([step.loss, step.correct, step.gradNorm]);
    const updated = Array.from(await movingMean.read().data());
    expect(updated.some((v) => v !== 0)).toBe(true);
    expect(modelVariables(model).length).toBeGreaterThan(params.length);
    optimizer.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });

  it('lowers the loss on a repeated batch and frees everything but its outputs', () => {
    const model = tinyConvModel({ numClasses: 3, seed: 1, dropout: 0 });
    const params = trainableVariables(model);
    const optimizer = new AdamW(params, { learningRate: 0.01 });
    const { x, y } = batch(5);
    const losses: number[] = [];
    const count = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const step = trainStep({ model, params, optimizer, labelSmoothing: 0, gradClip: 0 }, x, y);
      losses.push(step.loss.dataSync()[0]!);
      expect(step.correct.dataSync()[0]).toBeLessThanOrEqual(8);
      expect(step.gradNorm.dataSync()[0]).toBeGreaterThan(0);
      tf.dispose([step.loss, step.correct, step.gradNorm]);
      if (i === 0) expect(tf.memory().numTensors).toBe(count);
    }
    expect(tf.memory().numTensors).toBe(count);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
    optimizer.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });

  it('draws the same dropout masks under the same seed', () => {
    const run = (seed: number): number => {
      const model = tinyConvModel({ numClasses: 3, seed: 1, dropout: 0.5 });
      const params = trainableVariables(model);
      const optimizer = new AdamW(params, { learningRate: 0.01 });
      const { x, y } = batch(5);
      const step = withSeededMathRandom(seed, () =>
        trainStep({ model, params, optimizer, labelSmoothing: 0, gradClip: 0 }, x, y),
      );
      const loss = step.loss.dataSync()[0]!;
      tf.dispose([step.loss, step.correct, step.gradNorm, x, y]);
      optimizer.dispose();
      model.dispose();
      return loss;
    };
    expect(run(11)).toBe(run(11));
    expect(run(11)).not.toBe(run(12));
  });
});
