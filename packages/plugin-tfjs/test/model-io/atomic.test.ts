import '@tensorflow/tfjs-backend-cpu';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileSystemSaver, loadModel, saveModel } from '../../src/model-io/index.js';
import { buildModel } from '../../src/models/index.js';
import { predictFixed, tempDir } from './helpers.js';

// Wrap the real fs so individual tests can inject a failure at a precise step of the save.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, open: vi.fn(actual.open), rename: vi.fn(actual.rename) };
});

const realFs = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.mocked(fsp.open).mockImplementation(realFs.open);
  vi.mocked(fsp.rename).mockImplementation(realFs.rename);
});

const shape: [number, number, number, number] = [2, 28, 28, 1];

async function savedOldModel() {
  const parent = await tempDir();
  const dir = join(parent, 'model');
  const old = buildModel('small_cnn', { numClasses: 3, inputSize: 28, inputChannels: 1, seed: 1 });
  await saveModel(old, dir);
  const replacement = buildModel('small_cnn', { numClasses: 3, inputSize: 28, inputChannels: 1, seed: 2 });
  return { parent, dir, expected: Array.from(predictFixed(old, shape)), replacement };
}

describe('atomic save', () => {
  it('leaves the old model intact when writing fails midway (weights.bin)', async () => {
    const { parent, dir, expected, replacement } = await savedOldModel();
    vi.mocked(fsp.open).mockImplementation(async (path, ...rest) => {
      if (String(path).endsWith('weights.bin'))
        throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
      return realFs.open(path, ...rest);
    });
    await expect(saveModel(replacement, dir)).rejects.toThrow(/ENOSPC/);
    expect(await fsp.readdir(parent)).toEqual(['model']); // temp directory cleaned up
    expect(Array.from(predictFixed(await loadModel(dir), shape))).toEqual(expected);
  });

  it('rolls back when moving the new directory into place fails', async () => {
    const { parent, dir, expected, replacement } = await savedOldModel();
    vi.mocked(fsp.rename).mockImplementation(async (from, to) => {
      if (String(from).includes('.model.tmp-'))
        throw Object.assign(new Error('EXDEV: simulated'), { code: 'EXDEV' });
      return realFs.rename(from, to);
    });
    await expect(saveModel(replacement, dir)).rejects.toThrow(/EXDEV/);
    expect(await fsp.readdir(parent)).toEqual(['model']);
    expect(Array.from(predictFixed(await loadModel(dir), shape))).toEqual(expected);
  });

  it('never exposes a half-written directory: a failed first save creates nothing', async () => {
    const parent = await tempDir();
    const dir = join(parent, 'fresh');
    vi.mocked(fsp.open).mockImplementation(async (path, ...rest) => {
      if (String(path).endsWith('model.json')) throw new Error('EIO: simulated');
      return realFs.open(path, ...rest);
    });
    const model = buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1 });
    await expect(model.save(fileSystemSaver(dir))).rejects.toThrow(/EIO/);
    expect(await fsp.readdir(parent)).toEqual([]);
  });

  it('writes extra files in the same commit and rejects clashing names', async () => {
    const dir = join(await tempDir(), 'model');
    const model = buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1 });
    await model.save(fileSystemSaver(dir, { extraFiles: { 'labels.json': '["cat","dog"]' } }));
    expect(await fsp.readFile(join(dir, 'labels.json'), 'utf8')).toBe('["cat","dog"]');
    await expect(model.save(fileSystemSaver(dir, { extraFiles: { 'weights.bin': 'x' } }))).rejects.toThrow(
      /clashes/,
    );
    await expect(model.save(fileSystemSaver(dir, { extraFiles: { '../evil': 'x' } }))).rejects.toThrow(
      /Invalid file name/,
    );
  });
});
