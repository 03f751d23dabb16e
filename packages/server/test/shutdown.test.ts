import { afterEach, expect, it } from 'vitest';
import { createServer } from '../src/index.js';
import { deferred, FakeRegistry, FakeRuntime, fakeDecode, imageUpload } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function listening(drainTimeoutMs?: number) {
  const registry = new FakeRegistry();
  await registry.register({ model: 'm', artifacts: {}, aliases: ['production'] });
  const runtime = new FakeRuntime();
  const app = createServer({
    registry,
    runtime,
    model: 'm',
    decode: fakeDecode,
    ...(drainTimeoutMs !== undefined ? { drainTimeoutMs } : {}),
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  await app.mlops.settled();
  return { app, runtime, address };
}

async function startBlockedPredict(runtime: FakeRuntime, address: string) {
  const gate = deferred();
  runtime.predictGate = gate.promise;
  const { payload, headers } = imageUpload();
  const response = fetch(`${address}/api/predict/`, { method: 'POST', body: new Blob([payload]), headers });
  for (let i = 0; i < 1000 && runtime.predicting === 0; i++) await new Promise((r) => setTimeout(r, 2));
  expect(runtime.predicting).toBe(1);
  return { response, release: gate.resolve };
}

it('close() drains in-flight requests, refuses new ones, then disposes the models', async () => {
  // A drain timeout longer than the test timeout: close() must finish without it.
  const { app, runtime, address } = await listening(120_000);
  const { response, release } = await startBlockedPredict(runtime, address);

  let closed = false;
  const closing = app.close().then(() => {
    closed = true;
  });
  await new Promise((r) => setTimeout(r, 50));
  // New connections are refused while the in-flight request is still running...
  await expect(fetch(`${address}/`)).rejects.toThrow();
  expect(closed).toBe(false);
  expect(runtime.disposed).toEqual([]);

  // ...which completes normally once the model answers.
  release();
  const res = await response;
  expect(res.status).toBe(200);
  // Its kept-alive connection is closed after it, so close() does not wait for the socket to idle out.
  expect(res.headers.get('connection')).toBe('close');
  expect(Object.keys(((await res.json()) as { probabilities: object }).probabilities)).toHaveLength(5);
  await closing;
  expect(runtime.disposed).toEqual([1]);
});

it('cuts connections still open after drainTimeoutMs', async () => {
  const { app, runtime, address } = await listening(100);
  const { response, release } = await startBlockedPredict(runtime, address);
  cleanups.push(release);
  await app.close();
  await expect(response).rejects.toThrow();
});
