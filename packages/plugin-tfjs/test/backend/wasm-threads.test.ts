/**
 * The multi-threaded wasm backend: tfjs's threaded build started under Node, `train.threads`
 * applied at run time, and results identical bit for bit whatever the thread count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { kernelPool } from '../../src/backend/wasm-kernels/simd-kernels.js';
import { asWasmBackend } from '../../src/backend/wasm-kernels/wasm-backend.js';
import { getKernelThreads } from '../../src/backend/wasm-threads/thread-count.js';
import { getWasmThreads, setWasmThreads } from '../../src/backend/wasm-threads/wasm-threads.js';
import { buildModel } from '../../src/models/index.js';
import { createOptimizer } from '../../src/train/create-optimizer.js';
import { trainableVariables } from '../../src/train/model-variables.js';
import { trainStep } from '../../src/train/train-step.js';

/** Weights after 3 AdamW steps of a narrow MobileNetV4 on a fixed batch, from fixed weights. */
async function trainedWeights(): Promise<Float32Array[]> {
  const model = buildModel('mobilenetv4_conv_small_035', {
    numClasses: 4,
    inputSize: 32,
    inputChannels: 3,
    dropout: 0,
    seed: 3,
  });
  const params = trainableVariables(model);
  const optimizer = createOptimizer(
    { optimizer: 'adamw', betas: [0.9, 0.999], weightDecay: 0.05, momentum: 0.9 },
    params,
    1e-3,
  );
  const x = tf.tidy(() => tf.reshape(tf.sin(tf.range(0, 8 * 32 * 32 * 3)), [8, 32, 32, 3]));
  const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
  for (let i = 0; i < 3; i++) {
    const r = trainStep({ model, params, optimizer, labelSmoothing: 0.1, gradClip: 1 }, x, y);
    await r.loss.data();
    tf.dispose([r.loss, r.correct, r.gradNorm]);
  }
  const weights = await Promise.all(params.map(async (p) => Float32Array.from(await p.data())));
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return weights;
}

describe('multi-threaded wasm backend', () => {
  beforeAll(async () => {
    const info = await selectBackend('wasm', undefined, { threads: 2 });
    expect(info.threads).toBe(2);
    expect(info.reason).toMatch(/2 threads/);
  });

  it('starts the threaded build and changes its thread count at run time', () => {
    expect(getWasmThreads()).toBe(2);
    expect(getKernelThreads()).toBe(2);
    expect(setWasmThreads(1)).toBe(1);
    expect(getKernelThreads()).toBe(1);
    expect(setWasmThreads(2)).toBe(2);
    expect(getKernelThreads()).toBe(2);
  });

  it('trains to bit-identical weights with 1 and 2 threads', async () => {
    setWasmThreads(2);
    const two = await trainedWeights();
    setWasmThreads(1);
    const one = await trainedWeights();
    setWasmThreads(2);
    expect(two.length).toBe(one.length);
    for (let i = 0; i < one.length; i++)
      expect(Buffer.from(two[i]!.buffer)).toEqual(Buffer.from(one[i]!.buffer));
  });

  it('reports a failing task of the kernel pool as an error', () => {
    const pool = kernelPool(asWasmBackend(tf.backend()));
    expect(pool).not.toBeNull();
    const relu = pool!.indexOf('relu');
    // 2 GiB past the heap: out of bounds on whichever thread runs it.
    expect(() =>
      pool!.run(relu, [
        [0x7ff00000, 0x7ff00000, 1024],
        [0x7ff00000, 0x7ff00000, 1024],
      ]),
    ).toThrow(/out of bounds/);
    // The pool still works afterwards.
    const x = tf.tensor1d([-1, 2, -3, 4, -5, 6, -7, 8]);
    expect(Array.from(tf.relu(x).dataSync())).toEqual([0, 2, 0, 4, 0, 6, 0, 8]);
    x.dispose();
  });
});
