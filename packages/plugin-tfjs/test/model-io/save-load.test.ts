import '@tensorflow/tfjs-backend-cpu';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileSystemLoader, loadModel, modelParameterCount, saveModel } from '../../src/model-io/index.js';
import { buildModel } from '../../src/models/index.js';
import { predictFixed, tempDir } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('saveModel / loadModel', () => {
  it.each([
    ['small_cnn', 28, 1],
    ['mobilenetv4_conv_small', 32, 3],
  ] as const)('round-trips %s with identical predictions', async (arch, size, channels) => {
    const dir = join(await tempDir(), 'model');
    const model = buildModel(arch, { numClasses: 7, inputSize: size, inputChannels: channels, seed: 3 });
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    const shape: [number, number, number, number] = [2, size, size, channels];
    expect(
      Buffer.from(predictFixed(loaded, shape).buffer).equals(Buffer.from(predictFixed(model, shape).buffer)),
    ).toBe(true);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(modelParameterCount(loaded)).toEqual(modelParameterCount(model));
  });

  it('writes the tfjs file:// layout: model.json with a weightsManifest pointing at weights.bin', async () => {
    const dir = join(await tempDir(), 'model');
    const model = buildModel('small_cnn', { numClasses: 3, inputSize: 28, inputChannels: 1, seed: 1 });
    await saveModel(model, dir, { labels: ['a', 'b', 'c'] });
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers/);
    expect(json.modelTopology.class_name).toBe('Model');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.userDefinedMetadata).toEqual({ labels: ['a', 'b', 'c'] });
    expect((await stat(join(dir, 'weights.bin'))).size).toBe(modelParameterCount(model).total * 4);
  });

  it('returns extra metadata through getUserDefinedMetadata()', async () => {
    const dir = join(await tempDir(), 'model');
    const model = buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1 });
    await saveModel(model, dir, { architecture: 'small_cnn', epochs: 3 });
    expect((await loadModel(dir)).getUserDefinedMetadata()).toEqual({ architecture: 'small_cnn', epochs: 3 });
  });

  it('interoperates with tfjs: files load through tfjs’s own in-memory handler', async () => {
    const dir = join(await tempDir(), 'model');
    const model = buildModel('small_cnn', { numClasses: 4, inputSize: 28, inputChannels: 1, seed: 9 });
    await saveModel(model, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const bin = await readFile(join(dir, 'weights.bin'));
    const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => [
      tf.io.getWeightSpecs(manifest),
      bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    ]);
    const viaTfjs = await loadLayersModel(tf.io.fromMemory(artifacts));
    const shape: [number, number, number, number] = [2, 28, 28, 1];
    expect(Array.from(predictFixed(viaTfjs, shape))).toEqual(Array.from(predictFixed(model, shape)));
  });

  it('loads a directory written the way tfjs-node writes it (no checksum, sharded weights)', async () => {
    const dir = await tempDir();
    const model = buildModel('small_cnn', { numClasses: 4, inputSize: 28, inputChannels: 1, seed: 5 });
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
        const half = 4 * 1000; // split on a float boundary, like converter shards
        await writeFile(join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, half));
        await writeFile(join(dir, 'group1-shard2of2.bin'), bytes.subarray(half));
        const weightsManifest = [
          { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: artifacts.weightSpecs ?? [] },
        ];
        const modelJson = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          weightsManifest,
        };
        await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    const loaded = await loadLayersModel(fileSystemLoader(dir));
    const shape: [number, number, number, number] = [1, 28, 28, 1];
    expect(Array.from(predictFixed(loaded, shape))).toEqual(Array.from(predictFixed(model, shape)));
  });

  it('replaces an existing model and leaves no temp or parked directories behind', async () => {
    const parent = await tempDir();
    const dir = join(parent, 'model');
    const first = buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1, seed: 1 });
    const second = buildModel('small_cnn', { numClasses: 5, inputSize: 28, inputChannels: 1, seed: 2 });
    await saveModel(first, dir);
    await saveModel(second, dir);
    expect(await readdir(parent)).toEqual(['model']);
    expect((await loadModel(dir)).outputs[0]!.shape).toEqual([null, 5]);
  });

  it('refuses to replace a non-empty directory that is not a saved model', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'precious.txt'), 'keep me');
    const model = buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1 });
    await expect(saveModel(model, dir)).rejects.toThrow(/Refusing to replace .*holds no model\.json/);
    expect(await readFile(join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});
