import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, globalNorm } from '../../src/train/grad-clip.js';
import { useCpuBackend } from './helpers.js';

beforeAll(async () => {
  await useCpuBackend();
});

describe('clipByGlobalNorm', () => {
  const grads = () => ({ a: tf.tensor1d([3]), b: tf.tensor2d([[0, 4]]) });

  it('measures the norm over all gradients together', () => {
    expect(globalNorm(grads()).dataSync()[0]).toBeCloseTo(5, 6);
    expect(globalNorm({}).dataSync()[0]).toBe(0);
  });

  it('scales every gradient by maxNorm / norm when the norm is larger', () => {
    const { grads: clipped, norm } = clipByGlobalNorm(grads(), 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 6);
    expect(clipped.a!.dataSync()[0]).toBeCloseTo(0.6, 5);
    expect(Array.from(clipped.b!.dataSync())).toEqual([0, expect.closeTo(0.8, 5)]);
    expect(globalNorm(clipped).dataSync()[0]).toBeCloseTo(1, 5);
  });

  it('leaves small gradients alone and is off for maxNorm <= 0', () => {
    for (const maxNorm of [10, 0]) {
      const { grads: out } = clipByGlobalNorm(grads(), maxNorm);
      expect(out.a!.dataSync()[0]).toBeCloseTo(3, 5);
      expect(out.b!.dataSync()[1]).toBeCloseTo(4, 5);
    }
  });
});
