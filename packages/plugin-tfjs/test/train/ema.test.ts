import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelEma } from '../../src/train/ema.js';
import { useCpuBackend } from './helpers.js';

beforeAll(async () => {
  await useCpuBackend();
});

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe('ModelEma.decayAt', () => {
  it('warms up as min(decay, (1 + t) / (10 + t))', () => {
    expect(ModelEma.decayAt(0.99995, 0)).toBeCloseTo(0.1, 12);
    expect(ModelEma.decayAt(0.99995, 10)).toBeCloseTo(11 / 20, 12);
    expect(ModelEma.decayAt(0.99995, 1000)).toBeCloseTo(1001 / 1010, 12);
    expect(ModelEma.decayAt(0.99, 10_000)).toBe(0.99);
    expect(ModelEma.decayAt(0.99995, 3, false)).toBe(0.99995);
  });
});

describe('ModelEma', () => {
  it('averages every given weight with the warmed-up decay', () => {
    const weight = tf.variable(tf.tensor1d([1, 2]));
    const movingMean = tf.variable(tf.tensor1d([0]), false); // non-trainable state is averaged too
    const ema = new ModelEma([weight, movingMean], { decay: 0.999 });
    weight.assign(tf.tensor1d([3, 4]));
    movingMean.assign(tf.tensor1d([10]));
    expect(ema.update()).toBeCloseTo(0.1, 12);
    weight.assign(tf.tensor1d([5, 6]));
    movingMean.assign(tf.tensor1d([20]));
    const d = ema.update();
    expect(d).toBeCloseTo(2 / 11, 12);
    expect(ema.updates).toBe(2);
    // shadow₁ = 0.1·[1, 2] + 0.9·[3, 4] = [2.8, 3.8]; shadow₂ = d·shadow₁ + (1 − d)·[5, 6]
    ema.swapIn();
    const expected = [d * 2.8 + (1 - d) * 5, d * 3.8 + (1 - d) * 6];
    values(weight).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 5);
    });
    expect(values(movingMean)[0]).toBeCloseTo(d * 9 + (1 - d) * 20, 4);
    ema.swapOut();
    expect(values(weight)).toEqual([5, 6]);
    expect(values(movingMean)).toEqual([20]);
    ema.dispose();
    tf.dispose([weight, movingMean]);
  });

  it('uses the target decay directly without warmup', () => {
    const weight = tf.variable(tf.tensor1d([0]));
    const ema = new ModelEma([weight], { decay: 0.5, warmup: false });
    weight.assign(tf.tensor1d([4]));
    ema.update();
    ema.swapIn();
    expect(values(weight)).toEqual([2]);
    ema.swapOut();
    ema.dispose();
    weight.dispose();
  });

  it('restores the trained weights even when the evaluation throws, and refuses updates while swapped in', async () => {
    const weight = tf.variable(tf.tensor1d([1]));
    const ema = new ModelEma([weight], { decay: 0.9 });
    weight.assign(tf.tensor1d([2]));
    await expect(
      ema.withEmaWeights(() => {
        expect(ema.update.bind(ema)).toThrow(/swapped in/);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(ema.swappedIn).toBe(false);
    expect(values(weight)).toEqual([2]);
    ema.dispose();
    weight.dispose();
  });

  it('round-trips its state and does not leak tensors', async () => {
    const weight = tf.variable(tf.tensor2d([[1, 2]]));
    const ema = new ModelEma([weight], { decay: 0.9 });
    const count = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => weight.assign(tf.tensor2d([[i, -i]])));
      ema.update();
      ema.swapIn();
      ema.swapOut();
    }
    expect(tf.memory().numTensors).toBe(count);
    const other = new ModelEma([weight], { decay: 0.9 });
    other.setState(await ema.getState());
    expect(other.updates).toBe(3);
    ema.swapIn();
    const a = values(weight);
    ema.swapOut();
    other.swapIn();
    expect(values(weight)).toEqual(a);
    other.swapOut();
    ema.dispose();
    other.dispose();
    weight.dispose();
  });
});
