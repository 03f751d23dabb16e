import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterEach } from 'vitest';

const created: string[] = [];

/** A fresh temp directory, removed after the current test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-model-io-'));
  created.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Predictions of a model on a fixed pseudo-random batch. */
export function predictFixed(model: LayersModel, shape: [number, number, number, number]): Float32Array {
  return tf.tidy(() => {
    const x = tf.randomUniform(shape, 0, 1, 'float32', 11);
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}
