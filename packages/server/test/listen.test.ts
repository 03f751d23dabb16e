import { afterEach, expect, it } from 'vitest';
import { createServer } from '../src/index.js';
import { FakeRegistry, FakeRuntime, fakeDecode } from './helpers.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

it('serves a real HTTP client (fetch + FormData) on a listening port', async () => {
  const registry = new FakeRegistry();
  await registry.register({ model: 'm', artifacts: {}, aliases: ['production'] });
  const app = createServer({ registry, runtime: new FakeRuntime(), model: 'm', decode: fakeDecode });
  close = () => app.close();
  const address = await app.listen({ port: 0, host: '127.0.0.1' });

  const form = new FormData();
  form.append('image_file', new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }), 'cat.png');
  const res = await fetch(`${address}/api/predict/`, { method: 'POST', body: form });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { probabilities: Record<string, number> };
  expect(Object.keys(body.probabilities)).toHaveLength(5);

  const missing = await fetch(`${address}/api/predict/`, { method: 'POST', body: new FormData() });
  expect(missing.status).toBe(422);
  expect(((await missing.json()) as { code: string }).code).toBe('MLOPS_SRV_ERR_MISSING_FILE');
});
