/**
 * Shared helpers for the wasm kernel tests: deterministic data, running the same computation on
 * two backends, and tolerant comparison.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32), so failures are reproducible. */
export function randomData(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/** Runs `fn` with `backend` active and returns the values of the tensor(s) it produces. */
export async function runOn(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const values = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(list);
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

/** Asserts `actual` ≈ `expected` element-wise within `tol` absolute or relative. */
export function expectClose(actual: Float32Array, expected: Float32Array, tol = 1e-4, label = ''): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(
    worst,
    `${label}: worst error ${worst} at ${at} (got ${actual[at]}, want ${expected[at]})`,
  ).toBeLessThanOrEqual(tol);
}
