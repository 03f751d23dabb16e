import { MlopsError, type PromoteOptions } from '@mlops/core';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ServerOptions } from '../src/index.js';
import { FakeRegistry, FakeRuntime, fakeDecode, imageUpload } from './helpers.js';

const MODEL = 'classifier';
const TOKEN = 's3cret';
const apps: FastifyInstance[] = [];

/** FakeRegistry whose promote honours a `max` gate on `accuracy` and records the options. */
class GatedRegistry extends FakeRegistry {
  readonly calls: PromoteOptions[] = [];
  override async promote(model: string, version: number, alias: string, options: PromoteOptions = {}) {
    this.calls.push(options);
    if (options.gate && !options.force) {
      const list = await this.listVersions(model);
      const candidate = list.find((v) => v.version === version);
      const holder = list.find((v) => v.aliases.includes(alias));
      const metric = options.gate.metric;
      if (candidate && holder && (candidate.metrics[metric] ?? 0) < (holder.metrics[metric] ?? 0)) {
        throw new MlopsError('MLOPS_ERR_REGISTRY_GATE', `refusing to promote ${model} v${version}`);
      }
    }
    return super.promote(model, version, alias);
  }
}

async function setup(options: Partial<ServerOptions> = {}, watchable = true) {
  const registry = new GatedRegistry(watchable);
  const runtime = new FakeRuntime();
  for (let i = 0; i < 3; i++) {
    await registry.register({ model: MODEL, artifacts: {}, metrics: { accuracy: 0.8 + i / 100 } });
  }
  await registry.promote(MODEL, 2, 'production');
  const app = createServer({
    model: MODEL,
    decode: fakeDecode,
    preload: [],
    promoteToken: TOKEN,
    gate: { metric: 'accuracy', mode: 'max' },
    ...options,
    registry,
    runtime,
  });
  apps.push(app);
  return { app, registry, runtime };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function promote(app: FastifyInstance, body: unknown, token: string | null = TOKEN, alias = 'production') {
  return app.inject({
    method: 'POST',
    url: `/v1/models/${MODEL}/aliases/${alias}`,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    payload: body as object,
  });
}

async function topLabel(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
  expect(res.statusCode).toBe(200);
  return Object.keys(res.json().probabilities)[0]!;
}

describe('POST /v1/models/:name/aliases/:alias', () => {
  it('answers 401 without or with a wrong token', async () => {
    const { app, registry } = await setup();
    for (const token of [null, 'wrong', '']) {
      const res = await promote(app, { version: 3 }, token);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'MLOPS_SRV_ERR_UNAUTHORIZED', 'status-code': 401 });
    }
    const basic = await app.inject({
      method: 'POST',
      url: `/v1/models/${MODEL}/aliases/production`,
      headers: { authorization: `Basic ${TOKEN}` },
      payload: { version: 3 },
    });
    expect(basic.statusCode).toBe(401);
    expect(registry.calls).toHaveLength(1); // only the setup promotion
  });

  it('promotes and the next predict uses the new version', async () => {
    const { app, registry } = await setup();
    expect(await topLabel(app)).toBe('v2-a');
    const res = await promote(app, { version: 3, reason: 'better' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ model: MODEL, alias: 'production', from: 2, to: 3 });
    expect(registry.calls.at(-1)).toMatchObject({
      actor: 'http',
      reason: 'better',
      gate: { metric: 'accuracy', mode: 'max' },
    });
    expect(await topLabel(app)).toBe('v3-a');
  });

  it('swaps without registry watch()', async () => {
    const { app } = await setup({}, false);
    expect(await topLabel(app)).toBe('v2-a');
    const res = await promote(app, { version: 3 });
    expect(res.statusCode).toBe(200);
    expect(await topLabel(app)).toBe('v3-a');
  });

  it('answers 409 when the gate refuses, and force overrides it', async () => {
    const { app } = await setup();
    expect(await topLabel(app)).toBe('v2-a');
    const refused = await promote(app, { version: 1 });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'MLOPS_SRV_ERR_GATE_REFUSED' });
    expect(refused.json().message).toContain('refusing to promote');
    expect(await topLabel(app)).toBe('v2-a');
    const forced = await promote(app, { version: 1, force: true });
    expect(forced.statusCode).toBe(200);
    expect(forced.json()).toMatchObject({ from: 2, to: 1 });
    expect(await topLabel(app)).toBe('v1-a');
  });

  it('answers 404 for an unknown model or version, 400 for a bad body', async () => {
    const { app } = await setup();
    expect((await promote(app, { version: 9 })).statusCode).toBe(404);
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/models/nope/aliases/production',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { version: 1 },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'MLOPS_SRV_ERR_MODEL_NOT_FOUND' });
    expect((await promote(app, { version: 'x' })).statusCode).toBe(400);
    expect((await promote(app, { version: 3, force: 'yes' })).statusCode).toBe(400);
  });

  it('is not registered without a token', async () => {
    const { app, registry } = await setup({ promoteToken: undefined });
    const res = await promote(app, { version: 3 });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'MLOPS_SRV_ERR_ROUTE_NOT_FOUND' });
    expect(registry.calls).toHaveLength(1);
  });
});
