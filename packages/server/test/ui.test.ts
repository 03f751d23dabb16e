import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createServer, resolveInstalledOnnxRuntimeWeb, UI_HTML } from '../src/index.js';
import { FakeRegistry, FakeRuntime } from './helpers.js';

it('serves a self-contained page at /ui/ with a same-origin CSP', async () => {
  const registry = new FakeRegistry();
  const app = createServer({ registry, runtime: new FakeRuntime(), model: 'm' });
  const res = await app.inject('/ui/');
  await app.close();
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
  expect(res.body).toBe(UI_HTML);
  // No external asset: no absolute URL in src/href, no remote script, style or font.
  expect(res.body).not.toMatch(/(src|href)="(https?:)?\/\//);
  expect(res.body).not.toMatch(/@import|url\(/);
  // Only relative API paths, so the page works behind a path prefix too.
  for (const path of ["'../about/'", "'../v1/models/'"]) expect(res.body).toContain(path);
});

it('serves the page’s onnxruntime-web files from the installed package', async () => {
  const dist = resolveInstalledOnnxRuntimeWeb();
  expect(dist).toBeDefined();
  const app = createServer({ registry: new FakeRegistry(), runtime: new FakeRuntime(), model: 'm' });
  const res = await app.inject('/ui/ort/ort-wasm-simd-threaded.wasm');
  const head = await app.inject({ method: 'HEAD', url: '/ui/ort/ort.wasm.min.mjs' });
  await app.close();
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/wasm');
  // (Buffer#equals: a deep toEqual over 15 MB takes minutes.)
  expect(res.rawPayload.equals(await readFile(join(dist as string, 'ort-wasm-simd-threaded.wasm')))).toBe(
    true,
  );
  expect(head.statusCode).toBe(200);
});

it('without onnxruntime-web (an optional peer), answers its files with a coded 404 saying what to install', async () => {
  let resolved = 0;
  const app = createServer({
    registry: new FakeRegistry(),
    runtime: new FakeRuntime(),
    model: 'm',
    resolveOnnxRuntimeWeb: () => {
      resolved++;
      return undefined;
    },
  });
  const page = await app.inject('/ui/');
  const res = await app.inject('/ui/ort/ort.wasm.min.mjs');
  const head = await app.inject({ method: 'HEAD', url: '/ui/ort/ort.wasm.min.mjs' });
  await app.close();
  // The page itself does not depend on it.
  expect(page.statusCode).toBe(200);
  expect(res.statusCode).toBe(404);
  expect(res.json()).toEqual({
    code: 'MLOPS_SRV_ERR_WEB_RUNTIME_MISSING',
    'status-code': 404,
    message: expect.stringMatching(
      /installing onnxruntime-web \(`npm install onnxruntime-web`.*enables in-browser inference/,
    ),
  });
  expect(head.statusCode).toBe(404);
  expect(resolved).toBe(1);
});
