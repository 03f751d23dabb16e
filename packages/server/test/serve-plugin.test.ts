import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  definePlugin,
  ImageDecoder,
  type Logger,
  ModelRegistry,
  Pipeline,
  Runtime,
  resolveUserConfig,
} from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { server } from '../src/serve-plugin.js';
import { createServer } from '../src/server.js';
import { FakeRegistry, FakeRuntime, fakeDecode } from './helpers.js';

function capturingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: (message) => void lines.push(message),
    warn: (message) => void lines.push(message),
    error: (message) => void lines.push(message),
    child: () => logger,
  };
  return logger;
}

/** Starts `mlops run --stages serve` over `registry` with `serve`; stop it with `controller.abort()`. */
async function startServeStage(
  registry: FakeRegistry,
  serve: Record<string, unknown>,
  { decoder = true }: { decoder?: boolean } = {},
): Promise<{ lines: string[]; controller: AbortController; running: ReturnType<Pipeline['run']> }> {
  const root = await mkdtemp(join(tmpdir(), 'mlops-serve-'));
  const services = definePlugin({
    name: 'test-services',
    apply(api) {
      api.provide(ModelRegistry, registry);
      api.provide(Runtime, new FakeRuntime());
      if (decoder) api.provide(ImageDecoder, { decode: fakeDecode });
    },
  });
  const { config } = await resolveUserConfig(
    {
      project: 'demo',
      serve: { port: 0, host: '127.0.0.1', ...serve },
      plugins: [services, server({ logger: false })],
    },
    { file: join(root, 'mlops.config.ts') },
  );
  const lines: string[] = [];
  const pipeline = await Pipeline.create({ config, logger: capturingLogger(lines) });
  const controller = new AbortController();
  return { lines, controller, running: pipeline.run({ stages: ['serve'], signal: controller.signal }) };
}

/** The URL the serve stage logs once it listens (polled for up to 5 s). */
async function listeningUrl(lines: readonly string[]): Promise<string | undefined> {
  let url: string | undefined;
  for (let i = 0; i < 100 && !url; i++) {
    await new Promise((r) => setTimeout(r, 50));
    url = lines.map((line) => /at (http:\/\/\S+)/.exec(line)?.[1]).find(Boolean);
  }
  return url;
}

describe('server() plugin: the serve stage', () => {
  it('serves the registry until the run is stopped, and trains nothing', async () => {
    const registry = new FakeRegistry();
    const artifacts = { tfjs: { hash: 'a'.repeat(64), kind: 'dir' as const, size: 1 } };
    const version = await registry.register({ model: 'demo', artifacts });
    await registry.promote('demo', version.version, 'production');
    const { lines, controller, running } = await startServeStage(registry, {});
    const url = await listeningUrl(lines);
    expect(url).toBeDefined();
    const health = await fetch(`${url}/`);
    expect(await health.json()).toEqual({ message: 'OK', 'status-code': 200 });
    controller.abort();
    const result = await running;
    expect(result.stages.map((s) => s.stage)).toEqual(['serve']);
    expect(result.outputs.serve?.url).toBe(url);
  });

  it('enables the promotion route with serve.promoteToken', async () => {
    const registry = new FakeRegistry();
    const artifacts = { tfjs: { hash: 'a'.repeat(64), kind: 'dir' as const, size: 1 } };
    for (let i = 0; i < 2; i++) await registry.register({ model: 'demo', artifacts });
    await registry.promote('demo', 1, 'production');
    const { lines, controller, running } = await startServeStage(
      registry,
      { promoteToken: 'tok' },
      { decoder: false },
    );
    const url = await listeningUrl(lines);
    expect(url).toBeDefined();
    const post = (token: string) =>
      fetch(`${url}/v1/models/demo/aliases/production`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version: 2 }),
      });
    expect((await post('nope')).status).toBe(401);
    const ok = await post('tok');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ alias: 'production', to: 2 });
    controller.abort();
    await running;
  });

  it('says at start-up which route serves which alias, and a missing alias in one warning line', async () => {
    const registry = new FakeRegistry();
    await registry.register({
      model: 'demo',
      artifacts: { tfjs: { hash: 'a'.repeat(64), kind: 'dir', size: 1 } },
    });
    const { lines, controller, running } = await startServeStage(registry, { alias: 'preproduction' });
    const missing = () => lines.filter((line) => line.includes('alias yet'));
    for (let i = 0; i < 100 && missing().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await running;

    expect(missing()).toEqual([
      'model "demo" has no "preproduction" or "production" alias yet: the routes serving them answer 404 until a version is promoted: mlops registry promote demo <version> preproduction',
    ]);
    expect(lines.join('\n')).not.toContain('preload failed');
    expect(lines).toEqual(
      expect.arrayContaining([
        'POST /api/predict/ → demo@production',
        'POST /api/predict/preproduction/ → demo@preproduction',
        'POST /v1/models/demo/predict → demo@preproduction (?alias= or ?version= picks another)',
        'GET /readyz → ready once demo@preproduction is loaded',
        'this server is for "preproduction": /v1 and /readyz use it, while /api/predict/ still answers from "production" (the old contract); use /api/predict/preproduction/ or /v1 for "preproduction"',
      ]),
    );
  });

  it('warns in one line, without a stack, when the model is not registered at all', async () => {
    const registry = new FakeRegistry();
    const messages: string[] = [];
    const errors: unknown[] = [];
    const app = createServer({
      registry,
      runtime: new FakeRuntime(),
      model: 'demo',
      onMissingAliases: (message) => messages.push(message),
    });
    app.log.error = ((...args: unknown[]) => void errors.push(args)) as typeof app.log.error;
    await app.ready();
    await app.mlops.settled();
    for (let i = 0; i < 20 && messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await app.close();
    expect(messages).toEqual([
      'model "demo" is not in the registry yet: its routes answer 404 until a run registers it (mlops run) and a version is promoted: mlops registry promote demo <version> production',
    ]);
    expect(errors).toEqual([]);
  });

  it('adds the `mlops loadtest <url>` command', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-serve-'));
    const { config } = await resolveUserConfig(
      { project: 'demo', plugins: [server()] },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: capturingLogger([]) });
    const command = pipeline.commands.find((c) => c.name === 'loadtest <url>');
    expect(command?.options?.map(([flags]) => flags)).toEqual([
      '-d, --duration <seconds>',
      '--connections <n>',
      '--image <file>',
      '--path <path>',
      '--json',
    ]);
  });

  it('says which plugin to add when no runtime is registered', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-serve-'));
    const { config } = await resolveUserConfig(
      { project: 'demo', serve: { port: 0 }, plugins: [server()] },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: capturingLogger([]) });
    await expect(pipeline.run({ stages: ['serve'], signal: new AbortController().signal })).rejects.toThrow(
      /needs a runtime/,
    );
  });
});
