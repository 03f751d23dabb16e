import type { ArtifactRef } from '@mlops/core';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, DriftMonitor, psi, type ServerOptions } from '../src/index.js';
import { brightnessDecode, FakeRegistry, FakeRuntime, imageUpload, MemoryArtifactStore } from './helpers.js';

const MODEL = 'classifier';
const apps: FastifyInstance[] = [];

/** Deterministic brightness values spread around `center` (±8). */
function values(center: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => center - 8 + ((i * 7) % 17));
}

/** A `reference-stats` JSON like training writes, from images of brightness ~100. */
function referenceStats(): Record<string, unknown> {
  const hist = new Array<number>(32).fill(0);
  const refs = values(100, 1000);
  for (const v of refs) hist[Math.floor((v * 32) / 256)]! += 1 / refs.length;
  return {
    format: 'mlops-reference-stats/1',
    images: refs.length,
    shape: [4, 4, 3],
    channels: [0, 1, 2].map(() => ({ mean: 100, std: 5, histogram: new Array(32).fill(1 / 32) })),
    imageMeanHistogram: hist,
    predictions: {
      classes: ['v1-a', 'v1-b'],
      predictedFrequency: [0.9, 0.1],
      meanConfidence: [0.6, 0.5],
      overallMeanConfidence: 0.6,
    },
  };
}

async function setup(
  options: {
    withArtifact?: boolean;
    useStore?: boolean;
    referenceBytes?: string;
  } & Partial<ServerOptions> = {},
) {
  const { withArtifact = true, useStore = true, referenceBytes, ...rest } = options;
  const registry = new FakeRegistry();
  const runtime = new FakeRuntime();
  const store = new MemoryArtifactStore();
  const artifacts: Record<string, ArtifactRef> = withArtifact
    ? {
        'reference-stats': await store.putBytes(
          Buffer.from(referenceBytes ?? JSON.stringify(referenceStats())),
          {
            name: 'reference-stats.json',
          },
        ),
      }
    : {};
  await registry.register({ model: MODEL, artifacts, aliases: ['production'] });
  const app = createServer({
    model: MODEL,
    decode: brightnessDecode,
    // These synthetic inputs are noise-free; the real-data test covers the default.
    driftMinSamples: 50,
    ...(useStore ? { store } : {}),
    ...rest,
    registry,
    runtime,
  });
  apps.push(app);
  return { app, registry, store };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function feed(app: FastifyInstance, brightness: number[]): Promise<void> {
  for (const [i, v] of brightness.entries()) {
    // Alternate the legacy route and the raw-body /v1 route: both feed the monitor.
    const res =
      i % 2 === 0
        ? await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload('image/png', String(v)) })
        : await app.inject({
            method: 'POST',
            url: `/v1/models/${MODEL}/predict`,
            headers: { 'content-type': 'image/png' },
            payload: Buffer.from(String(v)),
          });
    expect(res.statusCode).toBe(200);
  }
}

async function drift(app: FastifyInstance, query = '') {
  const res = await app.inject({ method: 'GET', url: `/v1/models/${MODEL}/drift${query}` });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe('psi', () => {
  it('is 0 for identical distributions and grows with the shift', () => {
    expect(psi([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 10);
    expect(psi([1, 0, 0], [0, 0, 1])).toBeGreaterThan(1);
  });

  it('the monitor reports null scores below min samples', () => {
    const m = new DriftMonitor(
      {
        images: 1,
        imageMeanHistogram: new Array(32).fill(1 / 32),
        predictions: { classes: ['a'], predictedFrequency: [1], overallMeanConfidence: 0.5 },
      },
      10,
      3,
    );
    const image = { data: new Uint8Array(3).fill(10), width: 1, height: 1, channels: 3 };
    m.record(image, { label: 'a', probability: 0.5 });
    expect(m.report()).toMatchObject({ status: 'insufficient-data', samples: 1, window: 10 });
    for (let i = 0; i < 20; i++) m.record(image, { label: 'a', probability: 0.5 });
    const report = m.report();
    expect(report.samples).toBe(10);
    expect(report.status).toBe('ok');
    expect(report.scores.predictionPsi).toBeCloseTo(0, 3);
    expect(report.scores.confidenceDelta).toBeCloseTo(0, 10);
  });
});

describe('GET /v1/models/:name/drift', () => {
  it('stays low on inputs like the reference', async () => {
    const { app } = await setup();
    await feed(app, values(100, 200));
    const body = await drift(app);
    expect(body).toMatchObject({
      model: MODEL,
      version: 1,
      samples: 200,
      window: 500,
      status: 'ok',
      reference: { images: 1000 },
    });
    expect(body.scores.inputPsi).toBeLessThan(0.1);
    expect(typeof body.scores.predictionPsi).toBe('number');
    expect(typeof body.scores.confidenceDelta).toBe('number');
  });

  it('rises on much brighter inputs, and the gauge shows it', async () => {
    const { app } = await setup();
    await feed(app, values(220, 200));
    const body = await drift(app, '?alias=production');
    expect(body.status).toBe('ok');
    expect(body.scores.inputPsi).toBeGreaterThan(0.25);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith(`model_drift_input_psi{model="${MODEL}",version="1"}`));
    expect(line).toBeDefined();
    expect(Number(line!.split(' ').at(-1))).toBeGreaterThan(0.25);
    expect(metrics).toContain(`model_drift_prediction_psi{model="${MODEL}",version="1"}`);
  });

  it('reports insufficient data below driftMinSamples', async () => {
    const { app } = await setup({ driftMinSamples: 50 });
    await feed(app, values(100, 10));
    const body = await drift(app);
    expect(body).toMatchObject({
      samples: 10,
      status: 'insufficient-data',
      scores: { inputPsi: null, predictionPsi: null, confidenceDelta: null },
    });
  });

  it('keeps a sliding window of driftWindow inputs', async () => {
    const { app } = await setup({ driftWindow: 60, driftMinSamples: 5 });
    await feed(app, values(220, 60));
    await feed(app, values(100, 60));
    const body = await drift(app);
    expect(body.samples).toBe(60);
    expect(body.window).toBe(60);
    expect(body.scores.inputPsi).toBeLessThan(0.1);
  });

  it('is disabled without a store, or a missing or invalid reference-stats artifact', async () => {
    for (const options of [
      { withArtifact: false },
      { useStore: false },
      { referenceBytes: 'not json' },
      { referenceBytes: JSON.stringify({ format: 'mlops-reference-stats/1', imageMeanHistogram: [1] }) },
    ]) {
      const { app } = await setup(options);
      await feed(app, values(100, 60));
      const body = await drift(app);
      expect(body).toMatchObject({ model: MODEL, version: 1, status: 'disabled', reference: null });
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).not.toMatch(/^model_drift_input_psi\{/m);
    }
  });

  it('answers 404 for an unknown model or alias', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'GET', url: '/v1/models/nope/drift' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('MLOPS_SRV_ERR_MODEL_NOT_FOUND');
    const alias = await app.inject({ method: 'GET', url: `/v1/models/${MODEL}/drift?alias=staging` });
    expect(alias.statusCode).toBe(404);
  });
});
