import type { ImageInput, LoadedModel, ModelVersion, Runtime } from '@mlops/core';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { MicroBatcher } from '../src/batcher.js';
import { createServer, type ServerOptions } from '../src/index.js';
import { brightnessDecode, FakeRegistry, imageUpload } from './helpers.js';

const MODEL = 'classifier';
const apps: FastifyInstance[] = [];

/** Runtime whose model answers label `p<first pixel>` per image and records call sizes. */
class EchoRuntime implements Runtime {
  readonly name = 'echo';
  readonly calls: number[] = [];
  fail = false;
  supports(): boolean {
    return true;
  }
  async load(version: ModelVersion): Promise<LoadedModel> {
    const runtime = this;
    return {
      version,
      labels: [],
      async predict(images: ImageInput[], topK = 5) {
        runtime.calls.push(images.length);
        await new Promise((r) => setTimeout(r, 5));
        if (runtime.fail) throw new Error('model exploded');
        return images.map((image) => ({
          top: [
            { label: `p${image.data[0]}`, probability: 0.9 },
            { label: 'other', probability: 0.1 },
          ].slice(0, topK),
        }));
      },
      async dispose() {},
    };
  }
}

async function setup(options: Partial<ServerOptions> = {}) {
  const registry = new FakeRegistry();
  const runtime = new EchoRuntime();
  await registry.register({ model: MODEL, artifacts: {} });
  await registry.promote(MODEL, 1, 'production');
  const app = createServer({
    model: MODEL,
    decode: brightnessDecode,
    preload: [],
    batching: { maxBatchSize: 8, maxWaitMs: 50 },
    ...options,
    registry,
    runtime,
  });
  apps.push(app);
  await app.ready();
  // Load the model first so the concurrent requests reach the batcher together.
  await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload('image/png', '1') });
  runtime.calls.length = 0;
  return { app, runtime };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function legacyPredicts(app: FastifyInstance, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload('image/png', String(10 + i)) }),
    ),
  );
}

describe('micro-batching', () => {
  it('runs 8 concurrent predicts in fewer model calls, each with its own answer', async () => {
    const { app, runtime } = await setup();
    const responses = await legacyPredicts(app, 8);
    responses.forEach((res, i) => {
      expect(res.statusCode).toBe(200);
      expect(Object.keys(res.json().probabilities)[0]).toBe(`p${10 + i}`);
    });
    expect(runtime.calls.length).toBeLessThan(8);
    expect(runtime.calls.reduce((a, b) => a + b, 0)).toBe(8);

    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/prediction_queue_wait_seconds_count\{model="classifier"\} 9/);
    expect(text).toMatch(/prediction_batch_size_sum\{model="classifier"\} 9/);
    expect(text).toMatch(
      new RegExp(`prediction_batch_size_count\\{model="classifier"\\} ${runtime.calls.length + 1}`),
    );
  });

  it('batches /v1 and legacy requests together', async () => {
    const { app, runtime } = await setup();
    const v1 = Array.from({ length: 4 }, (_, i) =>
      app.inject({
        method: 'POST',
        url: `/v1/models/${MODEL}/predict?topk=1`,
        payload: { image: `data:image/png;base64,${Buffer.from(String(50 + i)).toString('base64')}` },
      }),
    );
    const [legacy, ...answers] = await Promise.all([legacyPredicts(app, 4), ...v1]);
    answers.forEach((res, i) => {
      expect(res.statusCode).toBe(200);
      expect(res.json().predictions).toEqual([{ top: [{ label: `p${50 + i}`, probability: 0.9 }] }]);
    });
    legacy!.forEach((res, i) => {
      expect(Object.keys(res.json().probabilities)[0]).toBe(`p${10 + i}`);
    });
    expect(runtime.calls.length).toBeLessThan(8);
  });

  it('calls the model once per request with batching: false', async () => {
    const { app, runtime } = await setup({ batching: false });
    const responses = await legacyPredicts(app, 8);
    for (const res of responses) expect(res.statusCode).toBe(200);
    expect(runtime.calls).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('rejects every caller of a failing batch', async () => {
    const { app, runtime } = await setup();
    runtime.fail = true;
    const responses = await legacyPredicts(app, 8);
    for (const res of responses) {
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ code: 'MLOPS_SRV_ERR_INTERNAL' });
    }
    expect(runtime.calls.length).toBeLessThan(8);
    runtime.fail = false;
    expect((await legacyPredicts(app, 1))[0]!.statusCode).toBe(200);
  });
});

describe('MicroBatcher', () => {
  const image = (value: number): ImageInput => ({
    data: new Uint8Array(3).fill(value),
    width: 1,
    height: 1,
    channels: 3,
  });

  it('flushes at maxBatchSize, runs an oversized request alone, and cuts each topK', async () => {
    const runtime = new EchoRuntime();
    const model = await runtime.load({} as ModelVersion);
    const flushed: number[] = [];
    const batcher = new MicroBatcher(
      model,
      { maxBatchSize: 2, maxWaitMs: 1000 },
      {
        onFlush: (size) => flushed.push(size),
      },
    );
    const [a, b, big] = await Promise.all([
      batcher.predict([image(1)], 1),
      batcher.predict([image(2)], 2),
      batcher.predict([image(3), image(4), image(5)], 2),
    ]);
    expect(a).toEqual([{ top: [{ label: 'p1', probability: 0.9 }] }]);
    expect(b![0]!.top.map((t) => t.label)).toEqual(['p2', 'other']);
    expect(big!.map((p) => p.top[0]!.label)).toEqual(['p3', 'p4', 'p5']);
    expect(flushed.sort()).toEqual([2, 3]);
  });

  /** A model whose calls wait for `release()`, recording each call's size. */
  function gatedModel() {
    const calls: number[] = [];
    const gates: (() => void)[] = [];
    const model = {
      version: {} as ModelVersion,
      labels: [],
      async predict(images: ImageInput[]) {
        calls.push(images.length);
        await new Promise<void>((resolve) => gates.push(resolve));
        return images.map((img) => ({ top: [{ label: `p${img.data[0]}`, probability: 1 }] }));
      },
      async dispose() {},
    } satisfies LoadedModel;
    return {
      model,
      calls,
      releaseAll: () => {
        for (const release of gates.splice(0)) release();
      },
    };
  }
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
    expect(check()).toBe(true);
  };

  it('does not hold a lone request on an idle model for maxWaitMs', async () => {
    const runtime = new EchoRuntime();
    const model = await runtime.load({} as ModelVersion);
    // A wait longer than the test timeout: the answer must come from the end-of-turn flush.
    const batcher = new MicroBatcher(model, { maxBatchSize: 8, maxWaitMs: 600_000 });
    const [result] = await batcher.predict([image(7)], 1);
    expect(result!.top[0]!.label).toBe('p7');
    expect(runtime.calls).toEqual([1]);
  });

  it('collects requests while the model is busy and sends them as one call when it is free', async () => {
    const { model, calls, releaseAll } = gatedModel();
    const batcher = new MicroBatcher(model, { maxBatchSize: 8, maxWaitMs: 600_000 });
    const first = batcher.predict([image(1)], 1);
    await until(() => calls.length === 1);
    const more = [2, 3, 4].map((v) => batcher.predict([image(v)], 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([1]); // still waiting for the busy model
    releaseAll();
    expect((await first)[0]!.top[0]!.label).toBe('p1');
    await until(() => calls.length === 2);
    expect(calls).toEqual([1, 3]);
    releaseAll();
    expect((await Promise.all(more)).map((r) => r[0]!.top[0]!.label)).toEqual(['p2', 'p3', 'p4']);
  });

  it('bounds the wait on a busy model by maxWaitMs', async () => {
    const { model, calls, releaseAll } = gatedModel();
    const batcher = new MicroBatcher(model, { maxBatchSize: 8, maxWaitMs: 5 });
    const first = batcher.predict([image(1)], 1);
    await until(() => calls.length === 1);
    const more = [batcher.predict([image(2)], 1), batcher.predict([image(3)], 1)];
    // The first call never finishes until released: the timer sends the queue on its own.
    await until(() => calls.length === 2);
    expect(calls).toEqual([1, 2]);
    releaseAll();
    await Promise.all([first, ...more]);
  });
});
