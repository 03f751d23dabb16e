import type { FastifyInstance } from 'fastify';
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, processMetricsRegistry, type ServerOptions } from '../src/index.js';
import { deferred, FakeRegistry, FakeRuntime, fakeDecode, imageUpload } from './helpers.js';

const MODEL = 'classifier';
const apps: FastifyInstance[] = [];
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);

async function setup(options: Partial<ServerOptions> = {}) {
  const registry = new FakeRegistry();
  const runtime = new FakeRuntime();
  for (let i = 0; i < 2; i++) await registry.register({ model: MODEL, artifacts: {} });
  await registry.promote(MODEL, 1, 'production');
  await registry.promote(MODEL, 2, 'preproduction');
  const app = createServer({ model: MODEL, decode: fakeDecode, ...options, registry, runtime });
  apps.push(app);
  return { app, registry, runtime };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function scrape(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return res.body;
}

describe('/metrics', () => {
  it('exposes request, latency, model and batch series with labels', async () => {
    const { app, registry } = await setup();
    await app.ready();
    await app.mlops.settled();
    await app.inject({ method: 'GET', url: '/' });
    await app.inject({ method: 'GET', url: '/' });
    await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload('image/png') });
    const b64 = PNG.toString('base64');
    await app.inject({
      method: 'POST',
      url: `/v1/models/${MODEL}/predict?alias=preproduction`,
      payload: { images: [b64, b64, b64] },
    });
    await app.inject({ method: 'GET', url: '/v1/models/nope' });
    await app.inject({ method: 'GET', url: '/does-not-exist' });

    const text = await scrape(app);
    expect(text).toContain('http_requests_total{route="/",method="GET",status="200"} 2');
    expect(text).toContain('http_requests_total{route="/api/predict/",method="POST",status="200"} 1');
    expect(text).toContain(
      'http_requests_total{route="/v1/models/:name/predict",method="POST",status="200"} 1',
    );
    expect(text).toContain('http_requests_total{route="/v1/models/:name",method="GET",status="404"} 1');
    expect(text).toContain('http_requests_total{route="unmatched",method="GET",status="404"} 1');
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="[^"]+",route="\/",method="GET",status="200"\} 2/,
    );
    expect(text).toContain('http_request_duration_seconds_count{route="/",method="GET",status="200"} 2');
    expect(text).toMatch(/model_load_seconds_count\{model="classifier"\} 2/);
    expect(text).toContain('model_info{model="classifier",alias="production",version="1"} 1');
    expect(text).toContain('model_info{model="classifier",alias="preproduction",version="2"} 1');
    expect(text).toContain('prediction_batch_size_count{model="classifier"} 2');
    expect(text).toContain('prediction_batch_size_sum{model="classifier"} 4');
    expect(text).toContain('prediction_batch_size_bucket{le="2",model="classifier"} 1');
    // Default process and event-loop metrics in the same registry.
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('process_resident_memory_bytes');

    // model_info follows hot swaps.
    await registry.promote(MODEL, 2, 'production');
    await app.mlops.settled();
    const after = await scrape(app);
    expect(after).toContain('model_info{model="classifier",alias="production",version="2"} 1');
    expect(after).not.toContain('model_info{model="classifier",alias="production",version="1"}');
  });

  it('uses a registry per server, never the global one', async () => {
    const { app: a } = await setup();
    const { app: b } = await setup();
    await a.inject({ method: 'GET', url: '/' });
    expect(await scrape(a)).toContain('http_requests_total{route="/",method="GET",status="200"} 1');
    expect(await scrape(b)).not.toContain('http_requests_total{route="/"');
    expect(a.mlops.metrics?.registry).not.toBe(b.mlops.metrics?.registry);
    expect(await globalRegistry.metrics()).not.toContain('http_requests_total');
  });

  it('counts requests in flight and the micro-batching queue wait', async () => {
    const { app, runtime } = await setup();
    await app.ready();
    await app.mlops.settled();
    const gate = deferred();
    runtime.predictGate = gate.promise;
    const pending = app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() }).then((r) => r);
    for (let i = 0; i < 500 && runtime.predicting === 0; i++) await new Promise((r) => setTimeout(r, 2));
    expect(runtime.predicting).toBe(1);
    // The scrape itself is in flight while it collects.
    expect(await scrape(app)).toContain('http_requests_in_flight 2');
    gate.resolve();
    expect((await pending).statusCode).toBe(200);
    const text = await scrape(app);
    expect(text).toContain('http_requests_in_flight 1');
    expect(text).toMatch(/prediction_queue_wait_seconds_count\{model="classifier"\} 1/);
  });

  it('a request its client abandons leaves the in-flight gauge and counts as 499', async () => {
    const { app, runtime } = await setup();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    await app.mlops.settled();
    const gate = deferred();
    runtime.predictGate = gate.promise;
    const controller = new AbortController();
    const { payload, headers } = imageUpload();
    const abandoned = fetch(`${address}/api/predict/`, {
      method: 'POST',
      body: new Blob([payload]),
      headers,
      signal: controller.signal,
    });
    for (let i = 0; i < 500 && runtime.predicting === 0; i++) await new Promise((r) => setTimeout(r, 2));
    controller.abort();
    await expect(abandoned).rejects.toThrow();
    let text = '';
    for (let i = 0; i < 100 && !text.includes('status="499"'); i++) {
      await new Promise((r) => setTimeout(r, 10));
      text = await scrape(app);
    }
    expect(text).toContain('http_requests_total{route="/api/predict/",method="POST",status="499"} 1');
    expect(text).toContain('http_requests_in_flight 1');
    gate.resolve();
  });

  it('shares one set of process metrics between servers (prom-client cannot stop them)', async () => {
    const { app: a } = await setup();
    const { app: b } = await setup();
    const process = processMetricsRegistry();
    expect(processMetricsRegistry()).toBe(process);
    const lag = process.getSingleMetric('nodejs_eventloop_lag_p99_seconds');
    expect(lag).toBeDefined();
    expect(a.mlops.metrics?.registry.getSingleMetric('nodejs_eventloop_lag_p99_seconds')).toBe(lag);
    expect(b.mlops.metrics?.registry.getSingleMetric('nodejs_eventloop_lag_p99_seconds')).toBe(lag);
    // A server's own metrics stay its own.
    expect(process.getSingleMetric('http_requests_total')).toBeUndefined();
    expect(await scrape(b)).toContain('nodejs_gc_duration_seconds');
  });

  it('can be turned off', async () => {
    const { app } = await setup({ metrics: false });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(404);
    expect(app.mlops.metrics).toBeUndefined();
  });
});
