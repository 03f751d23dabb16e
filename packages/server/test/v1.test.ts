import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ServerOptions } from '../src/index.js';
import { FakeRegistry, FakeRuntime, fakeDecode, multipart } from './helpers.js';

const MODEL = 'classifier';
const apps: FastifyInstance[] = [];
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);

async function setup(options: Partial<ServerOptions> = {}) {
  const registry = new FakeRegistry();
  const runtime = new FakeRuntime();
  for (let i = 0; i < 3; i++) {
    await registry.register({ model: MODEL, artifacts: {}, metrics: { accuracy: 0.8 + i / 100 } });
  }
  await registry.promote(MODEL, 1, 'production');
  await registry.promote(MODEL, 2, 'preproduction');
  const app = createServer({ model: MODEL, decode: fakeDecode, preload: [], ...options, registry, runtime });
  apps.push(app);
  return { app, registry, runtime };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function countingPredicts(runtime: FakeRuntime): number[] {
  const sizes: number[] = [];
  const load = runtime.load.bind(runtime);
  runtime.load = async (version) => {
    const model = await load(version);
    const predict = model.predict.bind(model);
    model.predict = async (images, topK) => {
      sizes.push(images.length);
      return predict(images, topK);
    };
    return model;
  };
  return sizes;
}

describe('GET /v1/models', () => {
  it('lists registry models with aliases', async () => {
    const { app, registry } = await setup();
    await registry.register({ model: 'other', artifacts: {} });
    const res = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(res.statusCode).toBe(200);
    const { models } = res.json();
    expect(models).toHaveLength(2);
    expect(models[0]).toMatchObject({
      name: MODEL,
      versions: 3,
      latest: 3,
      aliases: { production: 1, preproduction: 2 },
    });
    expect(models[1]).toMatchObject({ name: 'other', versions: 1, aliases: {} });
  });
});

describe('GET /v1/models/:name', () => {
  it('lists versions with metrics and aliases', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'GET', url: `/v1/models/${MODEL}` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.name).toBe(MODEL);
    expect(body.aliases).toEqual({ production: 1, preproduction: 2 });
    expect(body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    expect(body.versions[0]).toMatchObject({ aliases: ['production'], metrics: { accuracy: 0.8 } });
    expect(body.versions[2].aliases).toEqual([]);
    expect(body.versions[2].metrics.accuracy).toBeCloseTo(0.82);
  });

  it('answers 404 for an unknown model', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'GET', url: '/v1/models/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'MLOPS_SRV_ERR_MODEL_NOT_FOUND', 'status-code': 404 });
  });
});

describe('POST /v1/models/:name/predict', () => {
  const url = `/v1/models/${MODEL}/predict`;

  it('serves production by default with top 5 probabilities (0-1) from multipart', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url,
      ...multipart([{ name: 'image_file', filename: 'a.png', contentType: 'image/png', data: PNG }]),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.model).toBe(MODEL);
    expect(body.version).toBe(1);
    expect(body.predictions).toHaveLength(1);
    const top = body.predictions[0].top;
    expect(top.map((t: { label: string }) => t.label)).toEqual(['v1-a', 'v1-b', 'v1-c', 'v1-d', 'v1-e']);
    for (const t of top) {
      expect(t.probability).toBeGreaterThan(0);
      expect(t.probability).toBeLessThanOrEqual(1);
    }
  });

  it('batches several multipart files (image_file and images) in one predict call', async () => {
    const { app, runtime } = await setup();
    const sizes = countingPredicts(runtime);
    const res = await app.inject({
      method: 'POST',
      url: `${url}?topk=2`,
      ...multipart([
        { name: 'images', filename: 'a.png', contentType: 'image/png', data: PNG },
        { name: 'note', data: 'ignored field' },
        { name: 'images', filename: 'b.png', contentType: 'image/png', data: PNG },
        { name: 'image_file', filename: 'c.png', contentType: 'application/octet-stream', data: PNG },
      ]),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.predictions).toHaveLength(3);
    for (const p of body.predictions) expect(p.top).toHaveLength(2);
    expect(sizes).toEqual([3]);
  });

  it('accepts a raw image body', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: `${url}?alias=preproduction&topk=3`,
      headers: { 'content-type': 'image/png' },
      payload: PNG,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.version).toBe(2);
    expect(body.predictions).toHaveLength(1);
    expect(body.predictions[0].top.map((t: { label: string }) => t.label)).toEqual(['v2-a', 'v2-b', 'v2-c']);
  });

  it('rejects a raw body of an unaccepted image type', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'image/tiff' },
      payload: PNG,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MLOPS_SRV_ERR_UNSUPPORTED_TYPE');
  });

  it('accepts JSON base64 images in one batch', async () => {
    const { app, runtime } = await setup();
    const sizes = countingPredicts(runtime);
    const b64 = PNG.toString('base64');
    const res = await app.inject({
      method: 'POST',
      url: `${url}?version=3`,
      payload: { images: [b64, `data:image/png;base64,${b64}`] },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.version).toBe(3);
    expect(body.predictions).toHaveLength(2);
    expect(body.predictions[0].top[0].label).toBe('v3-a');
    expect(sizes).toEqual([2]);
  });

  it('accepts JSON with a single "image"', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'POST', url, payload: { image: PNG.toString('base64') } });
    expect(res.statusCode).toBe(200);
    expect(res.json().predictions).toHaveLength(1);
  });

  it('answers 400 for bad base64', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'POST', url, payload: { images: ['not base64 !!!'] } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'MLOPS_SRV_ERR_BAD_BASE64', 'status-code': 400 });
    const notString = await app.inject({ method: 'POST', url, payload: { images: [42] } });
    expect(notString.statusCode).toBe(400);
  });

  it('answers 400 for an undecodable image', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url,
      payload: {
        images: [
          PNG.toString('base64'),
          `data:image/png;base64,${Buffer.from('BADIMAGE').toString('base64')}`,
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MLOPS_SRV_ERR_BAD_IMAGE');
    const unknown = await app.inject({
      method: 'POST',
      url,
      payload: { images: [Buffer.from('plain text').toString('base64')] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().code).toBe('MLOPS_SRV_ERR_UNSUPPORTED_TYPE');
  });

  it('answers 422 without any image', async () => {
    const { app } = await setup();
    const empty = await app.inject({ method: 'POST', url, payload: { images: [] } });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().code).toBe('MLOPS_SRV_ERR_MISSING_FILE');
    const noFile = await app.inject({ method: 'POST', url, ...multipart([{ name: 'x', data: 'y' }]) });
    expect(noFile.statusCode).toBe(422);
  });

  it('answers 413 for too many images (JSON and multipart)', async () => {
    const { app } = await setup({ maxBatch: 2 });
    const b64 = PNG.toString('base64');
    const json = await app.inject({ method: 'POST', url, payload: { images: [b64, b64, b64] } });
    expect(json.statusCode).toBe(413);
    expect(json.json().code).toBe('MLOPS_SRV_ERR_TOO_MANY_IMAGES');
    expect(json.json().message).toMatch(/at most 2/);
    const parts = [1, 2, 3].map((i) => ({
      name: 'images',
      filename: `${i}.png`,
      contentType: 'image/png',
      data: PNG,
    }));
    const form = await app.inject({ method: 'POST', url, ...multipart(parts) });
    expect(form.statusCode).toBe(413);
    expect(form.json().code).toBe('MLOPS_SRV_ERR_TOO_MANY_IMAGES');
  });

  it('answers 404 for unknown model, alias or version', async () => {
    const { app } = await setup();
    const payload = { image: PNG.toString('base64') };
    for (const target of ['/v1/models/nope/predict', `${url}?alias=staging`, `${url}?version=9`]) {
      const res = await app.inject({ method: 'POST', url: target, payload });
      expect(res.statusCode, target).toBe(404);
      expect(res.json()).toMatchObject({ code: 'MLOPS_SRV_ERR_MODEL_NOT_FOUND', 'status-code': 404 });
    }
  });

  it('answers 400 for bad topk or version', async () => {
    const { app } = await setup();
    const payload = { image: PNG.toString('base64') };
    for (const query of ['topk=0', 'topk=abc', 'version=x', 'version=1&alias=production']) {
      const res = await app.inject({ method: 'POST', url: `${url}?${query}`, payload });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().code).toBe('MLOPS_SRV_ERR_BAD_REQUEST');
    }
  });

  it('serves another registry model through its own pool', async () => {
    const { app, registry } = await setup();
    await registry.register({ model: 'other', artifacts: {}, aliases: ['production'] });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/models/other/predict',
      payload: { image: PNG.toString('base64') },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ model: 'other', version: 1 });
  });

  it('shares alias slots and keeps recent explicit versions loaded (LRU), disposing evicted ones', async () => {
    const { app, runtime } = await setup({ versionCacheSize: 1 });
    const payload = { image: PNG.toString('base64') };
    // Version 1 is production: loading it by version shares the alias's model.
    await app.inject({ method: 'POST', url, payload });
    const v1 = await app.inject({ method: 'POST', url: `${url}?version=1`, payload });
    expect(v1.json().version).toBe(1);
    expect(runtime.loaded).toEqual([1]);
    // Version 3 has no alias: loaded once, kept for the next request.
    for (let i = 0; i < 2; i++) {
      const v3 = await app.inject({ method: 'POST', url: `${url}?version=3`, payload });
      expect(v3.statusCode).toBe(200);
      expect(v3.json().predictions[0].top[0].label).toBe('v3-a');
    }
    await app.mlops.settled();
    expect(runtime.loaded).toEqual([1, 3]);
    expect(runtime.disposed).toEqual([]);
    // Version 2 evicts version 3 from the one-entry cache; production (v1) stays.
    await app.inject({ method: 'POST', url: `${url}?version=2`, payload });
    await app.mlops.settled();
    expect(runtime.loaded).toEqual([1, 3, 2]);
    expect(runtime.disposed).toEqual([3]);
    expect(app.mlops.pool.loadedVersions()).toEqual([1, 2]);
    await app.close();
    expect(runtime.disposed.sort()).toEqual([1, 2, 3]);
  });

  it('legacy routes still refuse raw image bodies (422 missing image_file, as FastAPI)', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/predict/',
      headers: { 'content-type': 'image/png' },
      payload: PNG,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('MLOPS_SRV_ERR_MISSING_FILE');
  });
});
