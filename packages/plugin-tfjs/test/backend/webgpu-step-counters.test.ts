import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, expect, it } from 'vitest';
import { diffCounts, installStepCounters } from '../../src/backend/webgpu/step-counters.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it('counts kernel invocations by name, uploads and readbacks, and stops counting when uninstalled', async () => {
  const counters = installStepCounters();
  const a = tf.tensor1d([1, 2, 3]);
  const before = counters.snapshot();
  const b = tf.tidy(() => tf.add(tf.mul(a, 2), 1));
  await b.data();
  const after = counters.snapshot();
  const step = diffCounts(after, before);
  expect(step.kernels).toBe(2);
  expect(step.kernelsByName).toEqual({ Multiply: 1, Add: 1 });
  expect(step.readbacks).toBe(1);
  // Off WebGPU there are no dispatches, copies or submits to count.
  expect(step.dispatches).toBeNull();
  expect(before.uploads).toBeGreaterThanOrEqual(1);
  counters.reset();
  expect(counters.snapshot().kernels).toBe(0);
  counters.uninstall();
  tf.dispose(tf.add(a, a));
  expect(counters.snapshot().kernels).toBe(0);
  // The engine and backend are back to their own methods.
  expect(Object.hasOwn(tf.engine(), 'runKernelFunc')).toBe(false);
  tf.dispose([a, b]);
});
