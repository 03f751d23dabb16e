import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelParameterCount } from '../../src/model-io/index.js';
import { buildModel } from '../../src/models/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('modelParameterCount', () => {
  it('splits trainable weights from BN statistics and matches countParams()', () => {
    const model = buildModel('small_cnn', { numClasses: 10, inputSize: 28, inputChannels: 1 });
    const count = modelParameterCount(model);
    // Four BNs (32, 32, 64, 64 channels) each keep a moving mean and variance.
    expect(count.nonTrainable).toBe(2 * (32 + 32 + 64 + 64));
    expect(count.total).toBe(model.countParams());
    expect(count.trainable + count.nonTrainable).toBe(count.total);
  });
});
