import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { input, model } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { convBn } from '../../src/models/layer-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('convBn padding', () => {
  it('pads strided convs symmetrically like timm/PyTorch, not like tfjs "same"', () => {
    const x = input({ shape: [4, 4, 1] });
    const y = convBn(x, {
      convName: 'c',
      bnName: 'b',
      kernel: 3,
      stride: 2,
      filters: 1,
      relu: false,
      seed: 1,
    });
    const m = model({ inputs: x, outputs: y });
    m.getLayer('c').setWeights([tf.ones([3, 3, 1, 1])]);
    const out = m.predict(tf.ones([1, 4, 4, 1])) as tf.Tensor;
    // Symmetric pad 1: the top-left window sees 2×2 ones; tfjs 'same' would pad only bottom/right (→ 9).
    const expected = [4, 6, 6, 9].map((v) => v / Math.sqrt(1 + 1e-5));
    expect(out.shape).toEqual([1, 2, 2, 1]);
    Array.from(out.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 4);
    });
  });

  it('keeps ceil(n / stride) output sizes down to 1×1 maps', () => {
    const x = input({ shape: [1, 1, 4] });
    const y = convBn(x, {
      convName: 'c',
      bnName: 'b',
      kernel: 5,
      stride: 2,
      filters: 'depthwise',
      relu: true,
      seed: 1,
    });
    expect(y.shape).toEqual([null, 1, 1, 4]);
  });
});
