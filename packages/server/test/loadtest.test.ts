import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServer,
  formatLoadTest,
  type LoadTestResult,
  loadtestCommand,
  readImageDimensions,
  runLoadTest,
  samplePng,
  summarizeLatency,
} from '../src/index.js';
import { FakeRegistry, FakeRuntime, fakeDecode } from './helpers.js';

let app: FastifyInstance;
let url: string;
const seen: { method: string; url: string; bytes: number }[] = [];

beforeAll(async () => {
  const registry = new FakeRegistry();
  await registry.register({ model: 'm', artifacts: {}, aliases: ['production', 'preproduction'] });
  app = createServer({ registry, runtime: new FakeRuntime(), model: 'm', decode: fakeDecode });
  app.addHook('onRequest', async (request) => {
    seen.push({
      method: request.method,
      url: request.url,
      bytes: Number(request.headers['content-length'] ?? 0),
    });
  });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app.close();
});

const api = {} as Parameters<typeof loadtestCommand.action>[2];

describe('runLoadTest', () => {
  it('drives the legacy mix (/, /about/, 5x predict) and reports req/s, percentiles and errors', async () => {
    seen.length = 0;
    const result = await runLoadTest({ url, durationSeconds: 1, connections: 4 });
    expect(result.requests).toBeGreaterThan(20);
    expect(result.requestsPerSecond).toBeGreaterThan(0);
    expect(result.errors).toEqual({ non2xx: 0, connection: 0, timeouts: 0 });
    const { p50, p95, p99, max } = result.latencyMs;
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
    const byRoute = Object.fromEntries(result.routes.map((r) => [r.route, r]));
    const root = byRoute['GET /']!.requests;
    const about = byRoute['GET /about/']!.requests;
    const predict = byRoute['POST /api/predict/preproduction/']!.requests;
    expect(root + about + predict).toBe(result.requests);
    // Each connection cycles /, /about/, 5x predict: counts differ by at most one cycle per connection.
    expect(Math.abs(about - root)).toBeLessThanOrEqual(4);
    expect(Math.abs(predict - 5 * root)).toBeLessThanOrEqual(5 * 4);
    expect(byRoute['POST /api/predict/preproduction/']!.statuses).toEqual({ 200: predict });
    // The server saw the predict requests with the sample PNG as the body.
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts.every((s) => s.url === '/api/predict/preproduction/' && s.bytes > samplePng().length)).toBe(
      true,
    );
  });

  it('counts non-2xx responses per route', async () => {
    const result = await runLoadTest({
      url,
      durationSeconds: 0.5,
      connections: 2,
      predictPath: '/api/predict/nope/',
    });
    const predict = result.routes.find((r) => r.route === 'POST /api/predict/nope/')!;
    expect(predict.requests).toBeGreaterThan(0);
    expect(predict.non2xx).toBe(predict.requests);
    expect(predict.statuses).toEqual({ 404: predict.requests });
    expect(result.errors.non2xx).toBe(predict.requests);
  });

  it('says when the server cannot be reached', async () => {
    const closed = createServer({ registry: new FakeRegistry(), runtime: new FakeRuntime(), model: 'm' });
    const address = await closed.listen({ port: 0, host: '127.0.0.1' });
    await closed.close();
    await expect(runLoadTest({ url: address, durationSeconds: 0.2 })).rejects.toMatchObject({
      code: 'MLOPS_ERR_REMOTE_UNAVAILABLE',
      message: expect.stringMatching(/cannot reach/),
    });
    await expect(runLoadTest({ url: 'not a url' })).rejects.toMatchObject({ code: 'MLOPS_ERR_USAGE' });
  });
});

describe('mlops loadtest (plugin command)', () => {
  it('prints a report, or the whole result with --json, and sends --image', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-loadtest-'));
    const image = join(dir, 'shoe.png');
    await writeFile(image, Buffer.concat([samplePng(), Buffer.alloc(1000)]));
    seen.length = 0;
    const json = (await loadtestCommand.action(
      [url],
      { duration: '0.5', connections: '2', image, json: true },
      api,
    )) as LoadTestResult;
    expect(json.connections).toBe(2);
    expect(json.requests).toBeGreaterThan(0);
    expect(seen.filter((s) => s.method === 'POST').every((s) => s.bytes > 1000)).toBe(true);

    const text = (await loadtestCommand.action([url], { duration: '0.3', connections: '1' }, api)) as string;
    expect(text).toMatch(/req\/s, p50 [\d.]+ ms {2}p95 [\d.]+ ms {2}p99 [\d.]+ ms/);
    expect(text).toMatch(/errors: 0 non-2xx, 0 connection, 0 timeouts/);
    expect(text).toContain('POST /api/predict/preproduction/');
  });

  it('rejects bad options with a usage error', async () => {
    await expect(loadtestCommand.action([url], { duration: 'abc' }, api)).rejects.toMatchObject({
      code: 'MLOPS_ERR_USAGE',
    });
    await expect(loadtestCommand.action([url], { image: 'x.gif' }, api)).rejects.toMatchObject({
      code: 'MLOPS_ERR_USAGE',
    });
    await expect(loadtestCommand.action([url], { image: '/nonexistent/x.png' }, api)).rejects.toMatchObject({
      code: 'MLOPS_ERR_USAGE',
    });
  });
});

describe('helpers', () => {
  it('samplePng is a valid 28×28 grayscale PNG', () => {
    const png = samplePng();
    expect(readImageDimensions(png, 'image/png')).toEqual({ width: 28, height: 28 });
    const idatLength = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('latin1')).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    expect(raw.length).toBe(29 * 28);
    expect(Math.max(...raw)).toBeGreaterThan(150);
  });

  it('summarizeLatency uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summarizeLatency(values)).toEqual({ p50: 50, p95: 95, p99: 99, mean: 50.5, max: 100 });
    expect(summarizeLatency([])).toEqual({ p50: 0, p95: 0, p99: 0, mean: 0, max: 0 });
  });

  it('formatLoadTest lists each route', () => {
    const l = { p50: 1, p95: 2, p99: 3, mean: 1, max: 4 };
    const text = formatLoadTest({
      url: 'http://x',
      connections: 1,
      durationSeconds: 1,
      requests: 7,
      requestsPerSecond: 7,
      latencyMs: l,
      errors: { non2xx: 0, connection: 0, timeouts: 0 },
      routes: [{ route: 'GET /', requests: 7, non2xx: 0, statuses: { 200: 7 }, latencyMs: l }],
    });
    expect(text).toContain('7 requests, 7 req/s, p50 1 ms  p95 2 ms  p99 3 ms');
    expect(text).toMatch(/GET \/\s+7 {2}p50 1 ms/);
  });
});
