import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ImageInput, LocalArtifactStore, type ModelVersion } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TfjsPreprocessing } from '../../src/engine/tfjs-exporter.js';
import { saveModel } from '../../src/model-io/save-load.js';
import { buildModel } from '../../src/models/registry.js';
import { decodeImageBytes, preprocessImage, TfjsRuntime } from '../../src/runtime/index.js';

const LABELS = ['cat', 'dog', 'bus', 'tree'];
const SIZE = 16;
const PREPROCESSING: TfjsPreprocessing = {
  size: SIZE,
  channels: 3,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  resize: 'cover',
};

let root: string;
let store: LocalArtifactStore;
let model: LayersModel;
let version: ModelVersion;

/** An exporter-shaped directory (model/, labels.json, preprocessing.json) stored as a `tfjs` artifact. */
async function storeArtifact(name: string, edit?: (dir: string) => Promise<void>): Promise<ModelVersion> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await cp(join(root, 'saved'), join(dir, 'model'), { recursive: true });
  await writeFile(join(dir, 'labels.json'), `${JSON.stringify(LABELS)}\n`);
  await writeFile(join(dir, 'preprocessing.json'), `${JSON.stringify(PREPROCESSING)}\n`);
  await edit?.(dir);
  const ref = await store.putDir(dir, { name: 'tfjs' });
  return {
    model: 'classifier',
    version: 1,
    artifacts: { tfjs: ref },
    metrics: { top1: 0.5 },
    lineage: {},
    metadata: { labels: LABELS },
    createdAt: new Date(0).toISOString(),
    aliases: [],
  };
}

function image(height: number, width: number, channels: number, seed: number): ImageInput {
  const data = new Uint8Array(height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101 + ((i * i) % 13)) % 256;
  return { data, height, width, channels };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  root = await mkdtemp(join(tmpdir(), 'mlops-tfjs-runtime-'));
  store = new LocalArtifactStore(join(root, 'store'));
  model = buildModel('fast_cnn', { numClasses: LABELS.length, inputSize: SIZE, inputChannels: 3, seed: 7 });
  await saveModel(model, join(root, 'saved'));
  version = await storeArtifact('export');
});

afterAll(async () => {
  model?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('TfjsRuntime', () => {
  const runtime = () => new TfjsRuntime({ store, backend: 'cpu' });

  it('supports versions with a tfjs artifact only', () => {
    expect(runtime().name).toBe('tfjs');
    expect(runtime().supports(version)).toBe(true);
    const { tfjs: _tfjs, ...others } = version.artifacts;
    expect(runtime().supports({ ...version, artifacts: others })).toBe(false);
  });

  it('predicts a batch of mixed sizes and channels like a direct forward pass', async () => {
    const loaded = await runtime().load(version);
    try {
      expect(tf.getBackend()).toBe('cpu');
      expect(loaded.labels).toEqual(LABELS);
      expect(loaded.version).toBe(version);
      const images = [image(20, 30, 3, 1), image(9, 9, 1, 2), image(16, 16, 4, 3)];
      const predictions = await loaded.predict(images, LABELS.length);
      expect(predictions).toHaveLength(3);

      // Reference: the same preprocessing, then model.predict on the batch.
      const length = SIZE * SIZE * 3;
      const x = new Float32Array(images.length * length);
      images.forEach((img, i) => {
        preprocessImage(img, PREPROCESSING, x, i * length);
      });
      const expected = tf.tidy(() => {
        const logits = model.predict(tf.tensor4d(x, [images.length, SIZE, SIZE, 3])) as tf.Tensor;
        return tf.softmax(logits).arraySync() as number[][];
      });

      predictions.forEach((prediction, i) => {
        expect(prediction.top).toHaveLength(LABELS.length);
        expect(new Set(prediction.top.map((t) => t.label))).toEqual(new Set(LABELS));
        const sum = prediction.top.reduce((acc, t) => acc + t.probability, 0);
        expect(sum).toBeCloseTo(1, 5);
        for (let k = 1; k < prediction.top.length; k++) {
          expect(prediction.top[k - 1]!.probability).toBeGreaterThanOrEqual(prediction.top[k]!.probability);
        }
        for (const { label, probability } of prediction.top) {
          expect(probability).toBeGreaterThanOrEqual(0);
          expect(probability).toBeCloseTo(expected[i]![LABELS.indexOf(label)]!, 5);
        }
      });

      const top2 = await loaded.predict(images, 2);
      expect(top2.map((p) => p.top)).toEqual(predictions.map((p) => p.top.slice(0, 2)));
      const byDefault = await loaded.predict([images[0]!]);
      expect(byDefault[0]!.top).toHaveLength(LABELS.length); // topK 5 capped at 4 classes
      expect(await loaded.predict([])).toEqual([]);
    } finally {
      await loaded.dispose();
    }
    await expect(loaded.predict([image(4, 4, 3, 0)])).rejects.toThrow(/disposed/);
  });

  it('serves a grayscale model: colour and alpha inputs are converted by luma', async () => {
    const grayModel = buildModel('fast_cnn', { numClasses: 2, inputSize: 12, inputChannels: 1, seed: 3 });
    const pre: TfjsPreprocessing = { size: 12, channels: 1, mean: [0.5], std: [0.5], resize: 'cover' };
    const dir = join(root, 'gray');
    await saveModel(grayModel, join(dir, 'model'));
    await writeFile(join(dir, 'labels.json'), JSON.stringify(['no', 'yes']));
    await writeFile(join(dir, 'preprocessing.json'), JSON.stringify(pre));
    const grayVersion = { ...version, model: 'gray', artifacts: { tfjs: await store.putDir(dir) } };
    const loaded = await runtime().load(grayVersion);
    try {
      const images = [image(30, 20, 4, 5), image(12, 12, 1, 6)];
      const predictions = await loaded.predict(images, 2);
      const x = new Float32Array(2 * 12 * 12);
      images.forEach((img, i) => {
        preprocessImage(img, pre, x, i * 12 * 12);
      });
      const expected = tf.tidy(
        () =>
          tf
            .softmax(grayModel.predict(tf.tensor4d(x, [2, 12, 12, 1])) as tf.Tensor)
            .arraySync() as number[][],
      );
      predictions.forEach((prediction, i) => {
        for (const { label, probability } of prediction.top) {
          expect(probability).toBeCloseTo(expected[i]![label === 'no' ? 0 : 1]!, 5);
        }
      });
    } finally {
      await loaded.dispose();
      grayModel.dispose();
    }
  });

  it('normalizes with the stored mean/std (cover resize of a constant image keeps it constant)', () => {
    const x = new Float32Array(SIZE * SIZE * 3);
    const grey = { data: new Uint8Array(40 * 25).fill(51), height: 25, width: 40, channels: 1 };
    preprocessImage(grey, PREPROCESSING, x, 0);
    for (let c = 0; c < 3; c++) {
      expect(x[c]).toBeCloseTo((0.2 - PREPROCESSING.mean[c]!) / PREPROCESSING.std[c]!, 5);
      expect(x[x.length - 3 + c]).toBeCloseTo(x[c]!, 6);
    }
  });

  it('rejects malformed images', async () => {
    const loaded = await runtime().load(version);
    try {
      const bad = { data: new Uint8Array(10), height: 4, width: 4, channels: 3 };
      await expect(loaded.predict([bad])).rejects.toMatchObject({ code: 'MLOPS_ERR_DATA_INVALID' });
      await expect(loaded.predict([image(4, 4, 3, 0)], 0)).rejects.toMatchObject({ code: 'MLOPS_ERR_USAGE' });
    } finally {
      await loaded.dispose();
    }
  });

  it('names the file when preprocessing.json or labels.json is corrupt or missing', async () => {
    const broken = await storeArtifact('broken-pre', (dir) =>
      writeFile(join(dir, 'preprocessing.json'), '{"size": 16, "chan'),
    );
    await expect(runtime().load(broken)).rejects.toMatchObject({
      code: 'MLOPS_ERR_STORE_CORRUPT',
      message: expect.stringMatching(/preprocessing\.json.*not valid JSON/),
    });
    const wrong = await storeArtifact('wrong-pre', (dir) =>
      writeFile(join(dir, 'preprocessing.json'), JSON.stringify({ ...PREPROCESSING, channels: 2 })),
    );
    await expect(runtime().load(wrong)).rejects.toMatchObject({
      code: 'MLOPS_ERR_STORE_CORRUPT',
      message: expect.stringMatching(/preprocessing\.json.*"channels"/),
    });
    const noLabels = await storeArtifact('no-labels', (dir) => rm(join(dir, 'labels.json')));
    await expect(runtime().load(noLabels)).rejects.toMatchObject({
      code: 'MLOPS_ERR_STORE_CORRUPT',
      message: expect.stringMatching(/labels\.json.*missing/),
    });
    const fewLabels = await storeArtifact('few-labels', (dir) =>
      writeFile(join(dir, 'labels.json'), JSON.stringify(['a', 'b'])),
    );
    await expect(runtime().load(fewLabels)).rejects.toMatchObject({
      code: 'MLOPS_ERR_STORE_CORRUPT',
      message: expect.stringMatching(/labels\.json.*2 classes.*4/),
    });
  });
});

describe('decodeImageBytes', () => {
  it('decodes a PNG to HWC pixels', async () => {
    const src = image(5, 7, 3, 4);
    const png = await sharp(Buffer.from(src.data), { raw: { width: 7, height: 5, channels: 3 } })
      .png()
      .toBuffer();
    const decoded = await decodeImageBytes(new Uint8Array(png));
    expect(decoded).toMatchObject({ width: 7, height: 5, channels: 3 });
    expect(Array.from(decoded.data)).toEqual(Array.from(src.data));
  });

  it('throws MLOPS_ERR_DATA_CORRUPT_IMAGE for garbage', async () => {
    const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 7) % 256);
    await expect(decodeImageBytes(garbage)).rejects.toMatchObject({ code: 'MLOPS_ERR_DATA_CORRUPT_IMAGE' });
    await expect(decodeImageBytes(new Uint8Array(0))).rejects.toMatchObject({
      code: 'MLOPS_ERR_DATA_CORRUPT_IMAGE',
    });
  });
});
