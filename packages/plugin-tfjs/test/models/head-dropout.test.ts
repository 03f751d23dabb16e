import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, FAST_CNN } from '../../src/models/index.js';
import { mixSeed, unseedDropoutLayers, withSeededMathRandom } from '../../src/train/seeded-random.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const OPTS = { numClasses: 5, inputSize: 8, inputChannels: 1, dropout: 0.5, seed: 11 };

/** The head dropout's mask at training step `step` of a run seeded `seed`, as 0/1 values. */
function headMask(model: tfl.LayersModel, seed: number, step: number): number[] {
  const layer = model.getLayer('head_drop');
  const ones = tf.ones([4, 64]);
  const out = withSeededMathRandom(mixSeed(seed, step), () =>
    tf.tidy(() => (layer.apply(ones, { training: true }) as tf.Tensor).dataSync()),
  );
  ones.dispose();
  return Array.from(out, (v) => (v === 0 ? 0 : 1));
}

/** Training-mode logits of a fixed batch at each step of `steps`, as the trainer's steps draw them. */
function trainingLogits(model: tfl.LayersModel, seed: number, steps: number[]): number[][] {
  const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 3);
  const out = steps.map((step) =>
    withSeededMathRandom(mixSeed(seed, step), () =>
      tf.tidy(() => Array.from((model.apply(x, { training: true }) as tf.Tensor).dataSync())),
    ),
  );
  x.dispose();
  return out;
}

describe('head dropout', () => {
  it('carries no fixed seed, so tfjs draws its mask from the per-step stream', () => {
    const model = buildModel(FAST_CNN, OPTS);
    expect(model.getLayer('head_drop').getConfig().seed).toBeUndefined();
    model.dispose();
  });

  it('draws a different mask on consecutive training steps', () => {
    const model = buildModel(FAST_CNN, OPTS);
    const step0 = headMask(model, 42, 0);
    const step1 = headMask(model, 42, 1);
    expect(step1).not.toEqual(step0);
    // Roughly half of the units are dropped each time.
    for (const mask of [step0, step1]) {
      const kept = mask.reduce((a, b) => a + b, 0) / mask.length;
      expect(kept).toBeGreaterThan(0.3);
      expect(kept).toBeLessThan(0.7);
    }
    const logits = trainingLogits(model, 42, [0, 1]);
    expect(logits[1]).not.toEqual(logits[0]);
    model.dispose();
  });

  it('reproduces the same masks for the same train seed and step sequence across runs', () => {
    const first = buildModel(FAST_CNN, OPTS);
    const second = buildModel(FAST_CNN, OPTS);
    expect(headMask(second, 42, 5)).toEqual(headMask(first, 42, 5));
    expect(trainingLogits(second, 42, [0, 1, 2])).toEqual(trainingLogits(first, 42, [0, 1, 2]));
    // Another train seed gives other masks.
    expect(headMask(second, 43, 5)).not.toEqual(headMask(first, 42, 5));
    first.dispose();
    second.dispose();
  });

  it('unseedDropoutLayers frees a dropout layer saved with a fixed seed', () => {
    const input = tfl.input({ shape: [64] });
    const output = tfl.layers
      .dropout({ rate: 0.5, seed: 7, name: 'old_drop' })
      .apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    const layer = model.getLayer('old_drop');
    const mask = (seed: number) =>
      withSeededMathRandom(seed, () =>
        tf.tidy(() =>
          Array.from((layer.apply(tf.ones([2, 64]), { training: true }) as tf.Tensor).dataSync()),
        ),
      );
    // The defect: with a seed, every step gets the same mask.
    expect(mask(2)).toEqual(mask(1));
    expect(unseedDropoutLayers(model)).toEqual(['old_drop']);
    expect(layer.getConfig().seed).toBeUndefined();
    expect(mask(2)).not.toEqual(mask(1));
    expect(unseedDropoutLayers(model)).toEqual([]);
    model.dispose();
  });
});
