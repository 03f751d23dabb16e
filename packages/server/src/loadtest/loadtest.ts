import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { MlopsError } from '@mlops/core';
import { samplePng } from './sample-png.js';

/** The image sent by the load test's predict requests. */
export interface LoadTestImage {
  /** Encoded image bytes. */
  bytes: Uint8Array;
  /** File name of the multipart part. */
  filename: string;
  /** MIME type of the multipart part. */
  mimeType: string;
}

/** Options of {@link runLoadTest}. */
export interface LoadTestOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** Seconds to run. Default 10. */
  durationSeconds?: number;
  /** Concurrent connections (users). Default 10. */
  connections?: number;
  /** Image of the predict requests. Default {@link samplePng} (a 28×28 grayscale PNG). */
  image?: LoadTestImage;
  /** Predict path (the old Locust file's). Default `/api/predict/preproduction/`. */
  predictPath?: string;
  /** Predict requests per `/` and per `/about/` request. Default 5 (the Locust task weights). */
  predictWeight?: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  /** Median. */
  p50: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** Mean. */
  mean: number;
  /** Slowest. */
  max: number;
}

/** Per-route figures of a load test. */
export interface RouteStats {
  /** Method and path, e.g. `POST /api/predict/preproduction/`. */
  route: string;
  /** Responses received. */
  requests: number;
  /** Responses whose status is not 2xx. */
  non2xx: number;
  /** Response count by status code. */
  statuses: Record<string, number>;
  /** Latency of this route's responses. */
  latencyMs: LatencySummary;
}

/** What {@link runLoadTest} measured. */
export interface LoadTestResult {
  /** Base URL tested. */
  url: string;
  /** Concurrent connections. */
  connections: number;
  /** Measured wall time, seconds. */
  durationSeconds: number;
  /** Responses received. */
  requests: number;
  /** Responses per second. */
  requestsPerSecond: number;
  /** Latency of every response. */
  latencyMs: LatencySummary;
  /** Failures: non-2xx responses, connection errors, timeouts. */
  errors: { non2xx: number; connection: number; timeouts: number };
  /** The request mix, per route. */
  routes: RouteStats[];
}

interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  onResponse?(status: number): void;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

type Autocannon = (
  options: {
    url: string;
    connections: number;
    duration: number;
    requests: AutocannonRequest[];
    timeout?: number;
  },
  done: (error: Error | null, result: AutocannonResult) => void,
) => EventEmitter;

// autocannon ships CommonJS without type declarations: typed here for the parts used.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Nearest-rank percentiles of `values` (milliseconds, rounded to 0.01). */
export function summarizeLatency(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, mean: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return {
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    mean: round(mean),
    max: round(sorted.at(-1)!),
  };
}

function multipartBody(image: LoadTestImage): { body: Buffer; contentType: string } {
  const boundary = `----mlops-loadtest-${randomBytes(8).toString('hex')}`;
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="image_file"; filename="${image.filename}"\r\n` +
    `Content-Type: ${image.mimeType}\r\n\r\n`;
  return {
    body: Buffer.concat([
      Buffer.from(head),
      Buffer.from(image.bytes),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

async function checkReachable(base: URL): Promise<void> {
  try {
    await fetch(new URL('/', base), { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    // Not a usage error: the command is right, the server is not there (yet).
    throw new MlopsError(
      'MLOPS_ERR_REMOTE_UNAVAILABLE',
      `cannot reach ${base.origin} (${(error as Error).message})`,
      {
        hint: 'start the server first (mlops serve) and check the URL and port',
        cause: error,
      },
    );
  }
}

/**
 * Load-tests a running server with the old system's Locust mix: each connection cycles through
 * `GET /`, `GET /about/` and `predictWeight` × `POST <predictPath>` (multipart `image_file`),
 * for `durationSeconds`. Latencies are those of every response (autocannon's own histogram keeps
 * 2xx only and has no p95), so errors are visible in the percentiles too.
 */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new MlopsError('MLOPS_ERR_USAGE', `"${options.url}" is not a URL`, {
      hint: 'give the server base URL, e.g. mlops loadtest http://127.0.0.1:8000',
    });
  }
  const connections = Math.max(1, Math.floor(options.connections ?? 10));
  const duration = Math.max(0.1, options.durationSeconds ?? 10);
  const predictPath = options.predictPath ?? '/api/predict/preproduction/';
  const weight = Math.max(1, Math.floor(options.predictWeight ?? 5));
  const image = options.image ?? { bytes: samplePng(), filename: 'sample.png', mimeType: 'image/png' };
  await checkReachable(base);

  const routes = new Map<string, { statuses: Record<string, number>; latencies: number[] }>();
  const all: number[] = [];
  let current = '';
  const track = (route: string): AutocannonRequest['onResponse'] => {
    routes.set(route, { statuses: {}, latencies: [] });
    // autocannon calls a request's onResponse right before its 'response' event, synchronously.
    return () => {
      current = route;
    };
  };
  const { body, contentType } = multipartBody(image);
  const predict: AutocannonRequest = {
    method: 'POST',
    path: predictPath,
    headers: { 'content-type': contentType },
    body,
    onResponse: track(`POST ${predictPath}`),
  };
  const requests: AutocannonRequest[] = [
    { method: 'GET', path: '/', onResponse: track('GET /') },
    { method: 'GET', path: '/about/', onResponse: track('GET /about/') },
    ...Array.from({ length: weight }, () => predict),
  ];

  const started = performance.now();
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      { url: base.origin, connections, duration, requests, timeout: 30 },
      (error, out) => (error ? reject(error) : resolve(out)),
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      all.push(ms);
      const stats = routes.get(current);
      if (!stats) return;
      stats.latencies.push(ms);
      stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    });
  });
  const seconds = result.duration || (performance.now() - started) / 1000;
  return {
    url: base.origin,
    connections,
    durationSeconds: Math.round(seconds * 100) / 100,
    requests: all.length,
    requestsPerSecond: Math.round((all.length / seconds) * 10) / 10,
    latencyMs: summarizeLatency(all),
    errors: { non2xx: result.non2xx, connection: result.errors, timeouts: result.timeouts },
    routes: [...routes.entries()].map(([route, stats]) => ({
      route,
      requests: stats.latencies.length,
      non2xx: Object.entries(stats.statuses)
        .filter(([status]) => !status.startsWith('2'))
        .reduce((sum, [, n]) => sum + n, 0),
      statuses: stats.statuses,
      latencyMs: summarizeLatency(stats.latencies),
    })),
  };
}

/** The human-readable report of a load test (what `mlops loadtest` prints without `--json`). */
export function formatLoadTest(result: LoadTestResult): string {
  const ms = (l: LatencySummary) => `p50 ${l.p50} ms  p95 ${l.p95} ms  p99 ${l.p99} ms`;
  const lines = [
    `${result.url}: ${result.connections} connections, ${result.durationSeconds} s`,
    `${result.requests} requests, ${result.requestsPerSecond} req/s, ${ms(result.latencyMs)}`,
    `errors: ${result.errors.non2xx} non-2xx, ${result.errors.connection} connection, ${result.errors.timeouts} timeouts`,
  ];
  for (const route of result.routes) {
    lines.push(
      `  ${route.route.padEnd(36)} ${String(route.requests).padStart(7)}  ${ms(route.latencyMs)}  non-2xx ${route.non2xx}`,
    );
  }
  return lines.join('\n');
}
