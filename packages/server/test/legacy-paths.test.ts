import { afterEach, expect, it } from 'vitest';
import { createServer } from '../src/index.js';
import { FakeRegistry, FakeRuntime, fakeDecode, imageUpload } from './helpers.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function setup() {
  const registry = new FakeRegistry();
  await registry.register({ model: 'm', artifacts: {}, aliases: ['production', 'preproduction'] });
  const app = createServer({ registry, runtime: new FakeRuntime(), model: 'm', decode: fakeDecode });
  close = () => app.close();
  return app;
}

it.each([
  ['GET', '/about', '/about/'],
  ['POST', '/api/predict', '/api/predict/'],
  ['POST', '/api/predict/preproduction', '/api/predict/preproduction/'],
  ['POST', '/api/predict/dummy?x=1', '/api/predict/dummy/?x=1'],
  ['GET', '/ui', '/ui/'],
] as const)('%s %s redirects with 307 to the slashed path, like FastAPI', async (method, url, location) => {
  const app = await setup();
  const res = await app.inject({ method, url });
  expect(res.statusCode).toBe(307);
  expect(res.headers.location).toBe(location);
});

it('a real client following the 307 gets the prediction (method and body kept)', async () => {
  const app = await setup();
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  // Fixed bytes, as Python's requests resends them. (Node's fetch re-encodes a FormData body on a
  // redirect with a new boundary but keeps the old Content-Type header, so no server could parse it.)
  const { payload, headers } = imageUpload('image/png', new Uint8Array([1, 2, 3]));
  const res = await fetch(`${address}/api/predict`, { method: 'POST', body: new Blob([payload]), headers });
  expect(res.status).toBe(200);
  expect(res.url).toBe(`${address}/api/predict/`);
  expect(Object.keys(((await res.json()) as { probabilities: object }).probabilities)).toHaveLength(5);
});

it('answers 422 (not 415) for a body of another type, and redirects it too', async () => {
  const app = await setup();
  const headers = { 'content-type': 'application/octet-stream' };
  const res = await app.inject({
    method: 'POST',
    url: '/api/predict/',
    headers,
    payload: Buffer.from('xyz'),
  });
  expect(res.statusCode).toBe(422);
  expect(res.json().code).toBe('MLOPS_SRV_ERR_MISSING_FILE');
  const redirect = await app.inject({
    method: 'POST',
    url: '/api/predict',
    headers,
    payload: Buffer.from('xyz'),
  });
  expect(redirect.statusCode).toBe(307);
});

it('other paths still answer 404 JSON', async () => {
  const app = await setup();
  const res = await app.inject({ method: 'POST', url: '/api/predict/nope', ...imageUpload() });
  expect(res.statusCode).toBe(404);
  expect(res.json().code).toBe('MLOPS_SRV_ERR_ROUTE_NOT_FOUND');
});
