import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelParameterCount } from '../../src/model-io/parameter-count.js';
import { FAST_CNN, SMALL_CNN } from '../../src/models/index.js';
import { buildModel, listArchitectures } from '../../src/models/registry.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fast_cnn', () => {
  it('is registered and outputs logits for each class', () => {
    expect(listArchitectures()).toContain(FAST_CNN);
    const model = buildModel(FAST_CNN, { numClasses: 10, inputSize: 28, inputChannels: 1, seed: 1 });
    const out = model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
    expect(out.shape).toEqual([2, 10]);
    model.dispose();
  });

  it('is much smaller than small_cnn', () => {
    const fast = buildModel(FAST_CNN, { numClasses: 10, inputSize: 28, inputChannels: 1 });
    const small = buildModel(SMALL_CNN, { numClasses: 10, inputSize: 28, inputChannels: 1 });
    // conv 1→16, 16→32, 32→64 (+BN), dense 3136→64, 64→10
    expect(modelParameterCount(fast).trainable).toBe(
      9 * 16 + 32 + 9 * 16 * 32 + 64 + 9 * 32 * 64 + 128 + 3136 * 64 + 64 + 64 * 10 + 10,
    );
    expect(modelParameterCount(fast).trainable).toBeLessThan(modelParameterCount(small).trainable / 2);
    fast.dispose();
    small.dispose();
  });
});
