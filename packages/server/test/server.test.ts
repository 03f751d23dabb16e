import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ServerOptions } from '../src/index.js';
import { deferred, FakeRegistry, FakeRuntime, fakeDecode, imageUpload, multipart } from './helpers.js';

const MODEL = 'classifier';
const apps: FastifyInstance[] = [];

async function setup(
  options: Partial<ServerOptions> & { versions?: number; aliases?: Record<string, number> } = {},
) {
  const registry = (options.registry as FakeRegistry | undefined) ?? new FakeRegistry();
  const runtime = (options.runtime as FakeRuntime | undefined) ?? new FakeRuntime();
  for (let i = 0; i < (options.versions ?? 2); i++) await registry.register({ model: MODEL, artifacts: {} });
  for (const [alias, version] of Object.entries(options.aliases ?? { production: 1, preproduction: 2 })) {
    await registry.promote(MODEL, version, alias);
  }
  const app = createServer({ model: MODEL, decode: fakeDecode, ...options, registry, runtime });
  apps.push(app);
  return { app, registry, runtime };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('legacy contract', () => {
  it('GET / answers OK', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'OK', 'status-code': 200 });
  });

  it('GET /about/ names the model and repository', async () => {
    const { app } = await setup({ repositoryUrl: 'https://example.com/repo' });
    const res = await app.inject({ method: 'GET', url: '/about/' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      message: 'OK',
      'status-code': 200,
      model_name: MODEL,
      repository_url: 'https://example.com/repo',
    });
  });

  it('POST /api/predict/ serves production with the top 5 as percentages', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload('image/png') });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.message).toBe('OK');
    expect(body['status-code']).toBe(200);
    const labels = Object.keys(body.probabilities);
    expect(labels).toEqual(['v1-a', 'v1-b', 'v1-c', 'v1-d', 'v1-e']);
    for (const value of Object.values(body.probabilities) as number[]) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(100);
    }
    expect(body.probabilities['v1-a']).toBeCloseTo(
      (100 * 1) / (1 + 1 / 2 + 1 / 4 + 1 / 8 + 1 / 16 + 1 / 32 + 1 / 64),
    );
  });

  it('POST /api/predict/preproduction/ serves the preproduction alias', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/preproduction/',
      ...imageUpload('image/jpeg'),
    });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().probabilities)[0]).toBe('v2-a');
  });

  it('returns fewer than 5 classes when the model has fewer', async () => {
    const runtime = new FakeRuntime();
    runtime.labelCount = 3;
    const { app } = await setup({ runtime });
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload('image/webp') });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().probabilities)).toHaveLength(3);
  });

  it('POST /api/predict/dummy/ uses the built-in fallback without the registry', async () => {
    const { app } = await setup({ aliases: {} });
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/dummy/',
      ...imageUpload('image/svg+xml'),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'OK', 'status-code': 200, probabilities: { unknown: 100 } });
  });

  it('POST /api/predict/dummy/ uses the dummy option when given', async () => {
    const runtime = new FakeRuntime();
    const registry = new FakeRegistry();
    await registry.register({ model: 'other', artifacts: {} });
    const dummy = await runtime.load(await registry.resolve('other', { version: 1 }));
    const { app } = await setup({ dummy });
    const res = await app.inject({ method: 'POST', url: '/api/predict/dummy/', ...imageUpload('image/svg') });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().probabilities)[0]).toBe('v1-a');
  });

  it('accepts an octet-stream upload whose bytes are a PNG', async () => {
    const { app } = await setup();
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/',
      ...imageUpload('application/octet-stream', png),
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('bad input', () => {
  function expectError(
    res: { statusCode: number; json(): Record<string, unknown>; body: string },
    status: number,
    code: string,
  ) {
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body.code).toBe(code);
    expect(typeof body.message).toBe('string');
    expect(body['status-code']).toBe(status);
    expect(res.body).not.toMatch(/\n\s+at /);
  }

  it('missing image_file → 422', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/',
      ...multipart([{ name: 'other', filename: 'a.png', contentType: 'image/png', data: 'x' }]),
    });
    expectError(res, 422, 'MLOPS_SRV_ERR_MISSING_FILE');
  });

  it('image_file sent as a plain field → 422', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/',
      ...multipart([{ name: 'image_file', data: 'not a file' }]),
    });
    expectError(res, 422, 'MLOPS_SRV_ERR_MISSING_FILE');
  });

  it('no body at all → 422', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'POST', url: '/api/predict/' });
    expectError(res, 422, 'MLOPS_SRV_ERR_MISSING_FILE');
  });

  it('JSON body → 422', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'POST', url: '/api/predict/', payload: { image: 'x' } });
    expectError(res, 422, 'MLOPS_SRV_ERR_MISSING_FILE');
  });

  it('unaccepted type → 400 naming the accepted types', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/',
      ...imageUpload('text/plain', 'hi'),
    });
    expectError(res, 400, 'MLOPS_SRV_ERR_UNSUPPORTED_TYPE');
    const message = res.json().message as string;
    for (const type of ['image/jpeg', 'image/png', 'image/svg+xml', 'image/webp'])
      expect(message).toContain(type);
  });

  it('undecodable image → 400', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/',
      ...imageUpload('image/png', 'BAD!'),
    });
    expectError(res, 400, 'MLOPS_SRV_ERR_BAD_IMAGE');
  });

  it('decoder returning inconsistent pixels → 400', async () => {
    const { app } = await setup({
      decode: async () => ({ data: new Uint8Array(3), width: 2, height: 2, channels: 3 }),
    });
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expectError(res, 400, 'MLOPS_SRV_ERR_BAD_IMAGE');
  });

  it('upload over the body limit → 413', async () => {
    const { app } = await setup({ bodyLimit: 1024 });
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/',
      ...imageUpload('image/png', new Uint8Array(4096)),
    });
    expectError(res, 413, 'MLOPS_SRV_ERR_PAYLOAD_TOO_LARGE');
    // The message names the limit and the option that sets it.
    expect(res.json().message).toMatch(/1024 bytes.*bodyLimit/);
    // A non-multipart body over the limit (Fastify's own check) says the same.
    const raw = await app.inject({
      method: 'POST',
      url: '/v1/models/classifier/predict',
      headers: { 'content-type': 'image/png' },
      payload: Buffer.alloc(4096),
    });
    expectError(raw, 413, 'MLOPS_SRV_ERR_PAYLOAD_TOO_LARGE');
    expect(raw.json().message).toMatch(/1024 bytes.*bodyLimit/);
  });

  it('truncated multipart body → 400', async () => {
    const { app } = await setup();
    const { payload, headers } = imageUpload();
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/',
      headers,
      payload: payload.subarray(0, payload.length - 30),
    });
    expectError(res, 400, 'MLOPS_SRV_ERR_BAD_REQUEST');
  });

  it('alias no version has → 404', async () => {
    const { app } = await setup({ aliases: { production: 1 } });
    const res = await app.inject({ method: 'POST', url: '/api/predict/preproduction/', ...imageUpload() });
    expectError(res, 404, 'MLOPS_SRV_ERR_MODEL_NOT_FOUND');
  });

  it('model that fails to load → 503', async () => {
    const runtime = new FakeRuntime();
    runtime.failing.add(1);
    const { app } = await setup({ runtime });
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expectError(res, 503, 'MLOPS_SRV_ERR_MODEL_UNAVAILABLE');
    // Retried on the next request once the model loads.
    runtime.failing.clear();
    const again = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expect(again.statusCode).toBe(200);
  });

  it('no decoder configured → 501', async () => {
    const { app } = await setup({ decode: undefined });
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expectError(res, 501, 'MLOPS_SRV_ERR_NO_DECODER');
  });

  it('unknown route → 404 JSON', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expectError(res, 404, 'MLOPS_SRV_ERR_ROUTE_NOT_FOUND');
  });
});

describe('probes and model lifecycle', () => {
  it('/healthz is 200; /readyz is 503 until production is loaded', async () => {
    const runtime = new FakeRuntime();
    const gate = deferred();
    runtime.gate = gate.promise;
    const { app } = await setup({ runtime });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect(before.statusCode).toBe(503);
    expect(before.json().code).toBe('MLOPS_SRV_ERR_NOT_READY');
    gate.resolve();
    await app.mlops.settled();
    const after = await app.inject({ method: 'GET', url: '/readyz' });
    expect(after.statusCode).toBe(200);
    expect(after.json().version).toBe(1);
  });

  it('a server for another alias (serve.alias) is ready on it and serves it by default on /v1', async () => {
    const { app } = await setup({ alias: 'preproduction', aliases: { preproduction: 2 } });
    await app.ready();
    await app.mlops.settled();
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', alias: 'preproduction', version: 2 });
    const res = await app.inject({ method: 'POST', url: `/v1/models/${MODEL}/predict`, ...imageUpload() });
    expect(res.statusCode).toBe(200);
    expect(res.json().version).toBe(2);
    // The legacy production route keeps its alias: there is none, so 404.
    expect((await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() })).statusCode).toBe(
      404,
    );
  });

  it('loads production and preproduction at ready(), each version once', async () => {
    const { app, runtime } = await setup({ aliases: { production: 1, preproduction: 1 } });
    await app.ready();
    await app.mlops.settled();
    expect(runtime.loaded).toEqual([1]);
    await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    await app.inject({ method: 'POST', url: '/api/predict/preproduction/', ...imageUpload() });
    expect(runtime.loaded).toEqual([1]);
  });

  it('hot swap: promote → next request uses the new version, old one disposed', async () => {
    const { app, registry, runtime } = await setup();
    const first = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expect(Object.keys(first.json().probabilities)[0]).toBe('v1-a');
    await registry.promote(MODEL, 2, 'production');
    await app.mlops.settled();
    const second = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expect(Object.keys(second.json().probabilities)[0]).toBe('v2-a');
    // v2 is shared with preproduction: loaded once; v1 no longer served anywhere → disposed.
    expect(runtime.loaded.filter((v) => v === 2)).toHaveLength(1);
    expect(runtime.disposed).toEqual([1]);
    expect(app.mlops.pool.servedVersion('production')).toBe(2);
  });

  it('hot swap waits for in-flight requests before disposing the old model', async () => {
    const { app, registry, runtime } = await setup({ versions: 3 });
    await app.ready();
    await app.mlops.settled();
    const gate = deferred();
    runtime.predictGate = gate.promise;
    const inflight = app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    // Let the request reach predict().
    const started = runtime.predicting;
    while (runtime.predicting === started) await new Promise((r) => setTimeout(r, 1));
    await registry.promote(MODEL, 3, 'production');
    await app.mlops.settled();
    expect(app.mlops.pool.servedVersion('production')).toBe(3);
    expect(runtime.disposed).toEqual([]);
    gate.resolve();
    runtime.predictGate = undefined;
    const res = await inflight;
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().probabilities)[0]).toBe('v1-a');
    await app.mlops.settled();
    expect(runtime.disposed).toEqual([1]);
    const next = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expect(Object.keys(next.json().probabilities)[0]).toBe('v3-a');
  });

  it('requests flowing during promotions all succeed', async () => {
    const { app, registry, runtime } = await setup({ versions: 4 });
    // Booted first, so each round's requests are in flight when its promotion lands.
    await app.ready();
    await app.mlops.settled();
    const requests: Promise<{ statusCode: number }>[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 10; i++) {
        // `.then` dispatches the injected request right away (inject() alone is lazy).
        requests.push(app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() }).then((r) => r));
      }
      await registry.promote(MODEL, (round % 4) + 1, 'production');
      await new Promise((r) => setImmediate(r));
    }
    const results = await Promise.all(requests);
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 200));
    await app.mlops.settled();
    const last = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expect(Object.keys(last.json().probabilities)[0]).toBe('v4-a');
    // v2 stays (preproduction), v1 and v3 were swapped out and disposed after their requests.
    expect([...runtime.disposed].sort()).toEqual([1, 3]);
  });

  it('removing the alias → 404 on the next request, old model disposed', async () => {
    const { app, registry, runtime } = await setup({ aliases: { production: 1 } });
    expect((await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() })).statusCode).toBe(
      200,
    );
    await registry.removeAlias(MODEL, 'production');
    await app.mlops.settled();
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('MLOPS_SRV_ERR_MODEL_NOT_FOUND');
    expect(runtime.disposed).toEqual([1]);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().message).toMatch(/has no "production" alias yet .*mlops registry promote/);
  });

  it('a version that fails to load keeps the previous one serving', async () => {
    const { app, registry, runtime } = await setup({ versions: 3 });
    await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    runtime.failing.add(3);
    await registry.promote(MODEL, 3, 'production');
    await app.mlops.settled();
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expect(Object.keys(res.json().probabilities)[0]).toBe('v1-a');
    expect(runtime.disposed).toEqual([]);
  });

  it('without registry.watch, the alias stays on the version loaded first', async () => {
    const { app, registry } = await setup({ registry: new FakeRegistry(false) });
    await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    await registry.promote(MODEL, 2, 'production');
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
    expect(Object.keys(res.json().probabilities)[0]).toBe('v1-a');
  });

  it('close() disposes loaded models', async () => {
    const { app, runtime } = await setup();
    await app.ready();
    await app.mlops.settled();
    await app.close();
    expect([...runtime.disposed].sort()).toEqual([1, 2]);
  });
});
