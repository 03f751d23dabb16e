import '@tensorflow/tfjs-backend-cpu';
import { mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/model-io/index.js';
import { buildModel } from '../../src/models/index.js';
import { tempDir } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function savedModel(): Promise<string> {
  const dir = join(await tempDir(), 'model');
  await saveModel(buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1, seed: 1 }), dir);
  return dir;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('loading a damaged model gives a clear error naming the path', () => {
  it('truncated weights.bin → size mismatch', async () => {
    const dir = await savedModel();
    const bin = join(dir, 'weights.bin');
    await truncate(bin, 1000);
    await expect(loadModel(dir)).rejects.toThrow(
      new RegExp(`Corrupt weights file ${escapeRe(bin)}: .*describes \\d+ bytes of weights, found 1000`),
    );
  });

  it('bit-flipped weights.bin of the right size → checksum mismatch', async () => {
    const dir = await savedModel();
    const bin = join(dir, 'weights.bin');
    const bytes = await readFile(bin);
    bytes[123] = bytes[123]! ^ 0xff;
    await writeFile(bin, bytes);
    await expect(loadModel(dir)).rejects.toThrow(
      new RegExp(`Corrupt weights file ${escapeRe(bin)}: SHA-256`),
    );
  });

  it('missing weights.bin', async () => {
    const dir = await savedModel();
    await rm(join(dir, 'weights.bin'));
    await expect(loadModel(dir)).rejects.toThrow(
      new RegExp(`Missing weights file ${escapeRe(join(dir, 'weights.bin'))}`),
    );
  });

  it('missing model directory', async () => {
    const dir = join(await tempDir(), 'nope');
    await expect(loadModel(dir)).rejects.toThrow(
      new RegExp(`No saved model at ${escapeRe(dir)}: model.json not found`),
    );
  });

  it('missing model directory after an interrupted save points at the parked previous version', async () => {
    const parent = await tempDir();
    await mkdir(join(parent, '.model.old-abc123'));
    await expect(loadModel(join(parent, 'model'))).rejects.toThrow(
      /interrupted save left the previous model in .*\.model\.old-abc123/,
    );
  });

  it('model.json that is not JSON, or lacks required fields', async () => {
    const dir = await savedModel();
    const json = join(dir, 'model.json');
    await writeFile(json, '{"modelTopology": {');
    await expect(loadModel(dir)).rejects.toThrow(
      new RegExp(`Corrupt model file ${escapeRe(json)}: not valid JSON`),
    );
    await writeFile(json, JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: 'weights.bin' }] }));
    await expect(loadModel(dir)).rejects.toThrow(/weightsManifest\[0\]\.paths must be an array of strings/);
  });

  it('a manifest path that escapes the model directory', async () => {
    const dir = await savedModel();
    const json = join(dir, 'model.json');
    const parsed = JSON.parse(await readFile(json, 'utf8'));
    parsed.weightsManifest[0].paths = ['../../etc/passwd'];
    await writeFile(json, JSON.stringify(parsed));
    await expect(loadModel(dir)).rejects.toThrow(/points outside/);
  });
});
