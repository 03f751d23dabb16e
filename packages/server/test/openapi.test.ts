import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ServerOptions } from '../src/index.js';
import { FakeRegistry, FakeRuntime, fakeDecode } from './helpers.js';

const apps: FastifyInstance[] = [];

async function setup(options: Partial<ServerOptions> = {}) {
  const registry = new FakeRegistry();
  await registry.register({
    model: 'm',
    artifacts: {},
    aliases: ['production'],
    metadata: { labels: ['a', 'b'], nested: { anything: true } },
  });
  const app = createServer({
    registry,
    runtime: new FakeRuntime(),
    model: 'm',
    decode: fakeDecode,
    ...options,
  });
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

type Operation = {
  summary?: string;
  responses?: Record<string, unknown>;
  requestBody?: { content: Record<string, unknown> };
  parameters?: { name: string; in: string }[];
};

describe('OpenAPI document', () => {
  it('documents every route with a summary and responses', async () => {
    const app = await setup({ promoteToken: 'secret' });
    const res = await app.inject('/docs/json');
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, Operation>> };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /',
        'GET /about/',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /ui/',
        'POST /api/predict/',
        'POST /api/predict/preproduction/',
        'POST /api/predict/dummy/',
        'GET /v1/models',
        'GET /v1/models/{name}',
        'GET /v1/models/{name}/drift',
        'POST /v1/models/{name}/predict',
        'POST /v1/models/{name}/aliases/{alias}',
        'GET /v1/models/{name}/web-model',
        'GET /v1/models/{name}/versions/{version}/artifacts/{format}',
        'GET /v1/models/{name}/samples',
        'GET /v1/models/{name}/versions/{version}/samples/{index}',
        'GET /ui/ort/{file}',
      ].sort(),
    );
    for (const methods of Object.values(doc.paths)) {
      for (const operation of Object.values(methods)) {
        expect(operation.summary).toBeTruthy();
        expect(operation.responses?.['200']).toBeDefined();
      }
    }
    const predict = doc.paths['/v1/models/{name}/predict']!.post!;
    expect(Object.keys(predict.requestBody!.content).sort()).toEqual([
      'application/json',
      'image/*',
      'multipart/form-data',
    ]);
    expect(predict.parameters!.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
      'path:name',
      'query:alias',
      'query:topk',
      'query:version',
    ]);
    expect(doc.paths['/api/predict/']!.post!.requestBody!.content).toHaveProperty('multipart/form-data');
    expect(doc.paths['/api/predict/']!.post!.responses).toHaveProperty('422');
    expect(doc.paths['/v1/models/{name}/aliases/{alias}']!.post!.requestBody!.content).toHaveProperty(
      'application/json',
    );
  });

  it('leaves the promotion route out without a token (it does not exist)', async () => {
    const app = await setup();
    const doc = (await app.inject('/docs/json')).json() as { paths: Record<string, unknown> };
    expect(doc.paths).not.toHaveProperty('/v1/models/{name}/aliases/{alias}');
  });

  it('response schemas document and never drop fields', async () => {
    const app = await setup();
    const res = await app.inject('/v1/models/m');
    expect(res.json().versions[0].metadata).toEqual({ labels: ['a', 'b'], nested: { anything: true } });
  });

  it('serves the docs page with local assets only', async () => {
    const app = await setup();
    const page = await app.inject('/docs');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(2);
    for (const ref of refs) {
      expect(ref).not.toMatch(/^(https?:)?\/\//);
      const asset = await app.inject(new URL(ref, 'http://local/docs/').pathname);
      expect(asset.statusCode, ref).toBe(200);
    }
    const init = await app.inject('/docs/static/swagger-initializer.js');
    expect(init.body).toContain('validatorUrl: null');
    // The only absolute URL in the initializer is in a comment.
    const code = init.body.replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/https?:\/\//);
  });

  it('can be turned off', async () => {
    const app = await setup({ docs: false });
    expect((await app.inject('/docs/json')).statusCode).toBe(404);
    expect((await app.inject('/docs')).statusCode).toBe(404);
  });
});
