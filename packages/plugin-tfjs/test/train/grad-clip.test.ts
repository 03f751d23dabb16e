import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addMany, MAX_ADDN_INPUTS } from '../../src/train/add-many.js';
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

describe('addMany', () => {
  it('sums like tf.addN but never binds more than MAX_ADDN_INPUTS inputs to one AddN (WebGPU limit)', async () => {
    for (const count of [1, 2, 4, 5, 17, 141]) {
      const tensors = Array.from({ length: count }, (_, i) => tf.tensor1d([i, -2 * i, 0.5]));
      const profile = await tf.profile(() => addMany(tensors));
      const addNs = profile.kernels.filter((k) => k.name === 'AddN');
      expect(addNs.every((k) => k.inputShapes.length <= MAX_ADDN_INPUTS)).toBe(true);
      if (count > MAX_ADDN_INPUTS) expect(addNs.length).toBeGreaterThan(1);
      const sum = addMany(tensors);
      const expected = (count * (count - 1)) / 2;
      expect(Array.from(sum.dataSync())).toEqual([expected, -2 * expected, 0.5 * count]);
      tf.dispose([sum, ...tensors]);
    }
  });

  it('gives the global norm of many gradients in groups', () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`g${i}`, tf.tensor1d([1, 1])]));
    expect(globalNorm(many).dataSync()[0]).toBeCloseTo(Math.sqrt(60), 5);
  });
});
