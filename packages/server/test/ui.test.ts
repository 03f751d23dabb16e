import { expect, it } from 'vitest';
import { createServer, UI_HTML } from '../src/index.js';
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
