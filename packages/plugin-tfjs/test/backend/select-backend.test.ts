/**
 * Backend selection. The optional peers (tfjs-node, tfjs-node-gpu, tfjs-backend-webgpu, webgpu)
 * are not installed in this repository, so those paths must fail softly under `auto` and loudly,
 * with an install hint, when asked for explicitly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';

describe('selectBackend', () => {
  it('auto falls back to wasm and says why', async () => {
    const logs: string[] = [];
    const info = await selectBackend('auto', (m) => logs.push(m));
    expect(info.name).toBe('wasm');
    expect(info.requested).toBe('auto');
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(tf.getBackend()).toBe('wasm');
    expect(info.reason).toMatch(/tensorflow/);
    expect(logs.some((m) => m.includes('tensorflow not available'))).toBe(true);
    expect(logs.some((m) => m.includes('webgpu not available'))).toBe(true);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('explicit tensorflow says what to install', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(/@tensorflow\/tfjs-node/);
  });

  it('explicit webgpu says what to install', async () => {
    await expect(selectBackend('webgpu')).rejects.toThrow(/tfjs-backend-webgpu/);
  });

  it('explicit cpu and wasm work', async () => {
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await selectBackend('wasm');
    expect(wasm).toMatchObject({ name: 'wasm', requested: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
  });
});
