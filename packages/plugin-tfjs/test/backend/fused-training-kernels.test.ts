/**
 * The fused training kernels against what they replace: BatchNorm in training mode (tfjs-layers'
 * composite, on wasm and on cpu), the AdamW update and the gradient norm (the optimizer's tfjs-op
 * version on cpu), the one-pass ReLU gradient, pointwise convolutions as transposed products.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import {
  BATCH_NORM_TRAIN,
  setFusedBatchNormEnabled,
} from '../../src/backend/wasm-kernels/batch-norm-train.js';
import { ADAMW_UPDATE } from '../../src/backend/wasm-kernels/optimizer-kernels.js';
import { setSimdKernelsEnabled } from '../../src/backend/wasm-kernels/simd-kernels.js';
import { AdamW } from '../../src/train/adamw.js';
import { globalNorm } from '../../src/train/grad-clip.js';
import { expectClose, randomData } from './helpers.js';

/** Runs one training-mode BatchNorm (forward, gradients, moving statistics) on the active backend. */
function batchNormStep(shape: number[], momentum = 0.9): Record<string, Float32Array> {
  const channels = shape[shape.length - 1]!;
  return tf.tidy(() => {
    const layer = tfl.layers.batchNormalization({ momentum, epsilon: 1e-5 });
    const x = tf.add(tf.mul(tf.tensor(randomData(tf.util.sizeFromShape(shape), 1), shape), 3), 1.5);
    layer.build(x.shape);
    layer.setWeights([
      tf.add(tf.tensor1d(randomData(channels, 2)), 1),
      tf.tensor1d(randomData(channels, 3)),
      tf.tensor1d(randomData(channels, 4)),
      tf.add(tf.abs(tf.tensor1d(randomData(channels, 5))), 0.5),
    ]);
    const w = tf.tensor(randomData(x.size, 6), shape);
    const [gamma, beta] = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, w));
    const { value, grads } = tf.variableGrads(() => loss(x) as tf.Scalar, [gamma!, beta!]);
    const dx = tf.grad(loss)(x);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const weights = layer.getWeights();
    return {
      y: y.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dGamma: grads[gamma!.name]!.dataSync() as Float32Array,
      dBeta: grads[beta!.name]!.dataSync() as Float32Array,
      movingMean: weights[2]!.dataSync() as Float32Array,
      movingVariance: weights[3]!.dataSync() as Float32Array,
      loss: value.dataSync() as Float32Array,
    };
  });
}

describe('fused training kernels (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm', undefined, { threads: 2 });
  });
  afterAll(async () => {
    setFusedBatchNormEnabled(true);
    setSimdKernelsEnabled(true);
    await tf.setBackend('wasm');
  });

  for (const shape of [
    [4, 5, 6, 16],
    [3, 7, 5, 6],
    [37, 24],
    [64, 9, 9, 32],
  ]) {
    for (const simd of [true, false]) {
      it(`BatchNorm training step [${shape}]${simd ? '' : ' (JS loops)'} matches the stock layer`, async () => {
        await tf.setBackend('cpu');
        const cpu = batchNormStep(shape);
        await tf.setBackend('wasm');
        setSimdKernelsEnabled(simd);
        setFusedBatchNormEnabled(false);
        const stock = batchNormStep(shape);
        setFusedBatchNormEnabled(true);
        const calls: string[] = [];
        const profile = await tf.profile(() => {
          const fused = batchNormStep(shape);
          for (const [key, want] of Object.entries(cpu))
            expectClose(fused[key]!, want, 2e-5, `${key} vs cpu`);
          for (const [key, want] of Object.entries(stock))
            expectClose(fused[key]!, want, 2e-5, `${key} vs stock wasm`);
          // The statistics agree exactly with tfjs-layers' own on this backend.
          expect(Array.from(fused.movingMean!)).toEqual(Array.from(stock.movingMean!));
          return tf.scalar(0);
        });
        for (const k of profile.kernels) calls.push(k.name);
        expect(calls).toContain(BATCH_NORM_TRAIN);
        setSimdKernelsEnabled(true);
      });
    }
  }

  it('BatchNorm refuses a training batch with one value per channel', async () => {
    await tf.setBackend('wasm');
    const layer = tfl.layers.batchNormalization({});
    expect(() => layer.apply(tf.ones([1, 8]), { training: true })).toThrow(/more than 1 value per channel/);
  });

  it('the AdamW kernel updates exactly as the tfjs-op version (cpu)', async () => {
    const shapes = [[3, 3, 8, 16], [16], [5, 7]];
    const run = async (): Promise<Float32Array[]> => {
      const params = shapes.map((s, i) =>
        tf.variable(tf.tensor(randomData(tf.util.sizeFromShape(s), 20 + i), s)),
      );
      const optimizer = new AdamW(params, { learningRate: 0.01, betas: [0.6, 0.995], weightDecay: 0.05 });
      for (let step = 0; step < 3; step++) {
        const grads = Object.fromEntries(
          params.map((p, i) => [p.name, tf.tensor(randomData(p.size, 100 * step + i), p.shape)]),
        );
        optimizer.applyGradients(grads);
        tf.dispose(Object.values(grads));
      }
      const out = await Promise.all(params.map(async (p) => Float32Array.from(await p.data())));
      optimizer.dispose();
      tf.dispose(params);
      return out;
    };
    await tf.setBackend('cpu');
    const cpu = await run();
    await tf.setBackend('wasm');
    expect(tf.getKernel(ADAMW_UPDATE, 'wasm')).toBeDefined();
    const wasm = await run();
    for (let i = 0; i < cpu.length; i++) expect(Array.from(wasm[i]!)).toEqual(Array.from(cpu[i]!));
  });

  it('the global gradient norm agrees with the per-tensor sums', async () => {
    const grads = () => ({
      a: tf.tensor(randomData(1001, 30), [7, 143]),
      b: tf.tensor(randomData(3, 31)),
      c: tf.tensor(randomData(4096, 32), [4096]),
    });
    await tf.setBackend('cpu');
    const cpu = tf.tidy(() => globalNorm(grads()).dataSync()[0]!);
    await tf.setBackend('wasm');
    const wasm = tf.tidy(() => globalNorm(grads()).dataSync()[0]!);
    expect(Math.abs(wasm - cpu) / cpu).toBeLessThan(1e-6);
  });

  it('the ReLU gradient is dy where x > 0, else 0', async () => {
    const fn = () =>
      tf.tidy(() => {
        const x = tf.tensor(randomData(10007, 40), [10007]);
        const dy = tf.tensor(randomData(10007, 41), [10007]);
        return tf
          .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), dy)))(x)
          .dataSync() as Float32Array;
      });
    await tf.setBackend('cpu');
    const cpu = fn();
    await tf.setBackend('wasm');
    // Equal values (0 and -0 aside: cpu's dy·0 keeps dy's sign).
    expect(Array.from(fn(), (v) => v + 0)).toEqual(Array.from(cpu, (v) => v + 0));
  });

  it('pointwise FusedConv2D as a transposed product (bias, relu) matches cpu', async () => {
    for (const [shape, co] of [
      [[16, 1, 1, 96], 320],
      [[4, 2, 2, 40], 128],
    ] as [number[], number][]) {
      const fn = () =>
        tf.tidy(() => {
          const x = tf.tensor(randomData(tf.util.sizeFromShape(shape), 50), shape) as tf.Tensor4D;
          const filter = tf.mul(
            tf.tensor(randomData(shape[3]! * co, 51), [1, 1, shape[3]!, co]),
            0.1,
          ) as tf.Tensor4D;
          const bias = tf.tensor1d(randomData(co, 52));
          return tf.fused
            .conv2d({ x, filter, strides: 1, pad: 'same', bias, activation: 'relu' })
            .dataSync() as Float32Array;
        });
      await tf.setBackend('cpu');
      const cpu = fn();
      await tf.setBackend('wasm');
      expectClose(fn(), cpu, 1e-5, `[${shape}] -> ${co}`);
    }
  });
});
