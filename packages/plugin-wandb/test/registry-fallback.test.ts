/**
 * Online mode with `registry: true` when W&B cannot be reached: the registration of an export
 * stage must not fail the run. Changes go to the local registry and the spool, one warning says
 * so, and `mlops wandb sync` uploads them later. Errors a retry cannot fix are not absorbed.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ArtifactStore,
  isMlopsError,
  ModelRegistry,
  Pipeline,
  type PluginApi,
  resolveUserConfig,
} from '@mlops/core';
import { describe, expect, it } from 'vitest';
import wandb from '../src/index.js';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { capturingLogger, FAST_RETRY, TEST_KEY, useFakeWandb } from './helpers.js';

let fake: FakeWandbServer;
let root: string;
useFakeWandb((f, r) => {
  fake = f;
  root = r;
});

async function onlinePipeline(baseUrl: string, lines: string[] = []): Promise<Pipeline> {
  const { config } = await resolveUserConfig(
    {
      project: 'fashion',
      plugins: [wandb({ entity: 'team', registry: true, baseUrl, retry: FAST_RETRY })],
    },
    { file: join(root, 'mlops.config.ts') },
  );
  return Pipeline.create({ config, logger: capturingLogger(lines) });
}

/** Registers a small model with `best`, then promotes it to `production`, as an export stage does. */
async function exportModel(pipeline: Pipeline): Promise<number> {
  const store = pipeline.container.resolve(ArtifactStore);
  const dir = join(root, 'model');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.json'), '{"format":"layers-model"}');
  await writeFile(join(dir, 'weights.bin'), Buffer.alloc(512, 3));
  const registry = pipeline.container.resolve(ModelRegistry);
  const version = await registry.register({
    model: 'fashion',
    artifacts: { tfjs: await store.putDir(dir, { name: 'model' }) },
    metrics: { top1: 0.9 },
    aliases: ['best'],
  });
  await registry.promote('fashion', version.version, 'production', { gate: { metric: 'top1', mode: 'max' } });
  return version.version;
}

function sync(pipeline: Pipeline): Promise<unknown> {
  const command = pipeline.commands.find((c) => c.name === 'wandb sync [runId]');
  if (!command) throw new Error('wandb sync is not registered');
  const api: PluginApi = {
    hooks: pipeline.hooks,
    container: pipeline.container,
    config: pipeline.config,
    logger: capturingLogger([]),
    provide: () => undefined,
    command: () => undefined,
  };
  return command.action([], {}, api);
}

describe('online W&B registry while W&B is unreachable', () => {
  it('spools the registration instead of failing, warns once, and `wandb sync` uploads it', async () => {
    const lines: string[] = [];
    const pipeline = await onlinePipeline('http://127.0.0.1:9', lines); // nothing listens on port 9
    const version = await exportModel(pipeline);
    expect(version).toBe(1);
    const warnings = lines.filter((l) => l.startsWith('warn'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not be reached to register fashion.*mlops wandb sync/);
    expect(lines.join('\n')).not.toContain(TEST_KEY);
    // The local registry answers for this process, so the run's outputs stay consistent.
    const registry = pipeline.container.resolve(ModelRegistry);
    expect((await registry.resolve('fashion', { alias: 'production' })).version).toBe(1);

    const later = await onlinePipeline(fake.url);
    expect(await sync(later)).toMatchObject({ registry: { registered: 1, aliases: 1 } });
    const versions = fake.versions('team', 'fashion', 'fashion');
    expect(versions).toHaveLength(1);
    expect(fake.aliases.get('team/fashion/fashion')?.get('best')).toBe(versions[0]!.id);
    expect(fake.aliases.get('team/fashion/fashion')?.get('production')).toBe(versions[0]!.id);
    expect(fake.violations).toEqual([]);
    // Nothing is replayed twice.
    await sync(later);
    expect(fake.versions('team', 'fashion', 'fashion')).toHaveLength(1);
  });

  it('falls back after 5xx answers exhaust the retries, and sends nothing more once it has', async () => {
    fake.fail({ path: /^\/graphql$/ }, 503, { times: FAST_RETRY.attempts });
    const pipeline = await onlinePipeline(fake.url);
    await exportModel(pipeline);
    // One operation tried `attempts` times, then the promotion went straight to the spool.
    expect(fake.requests.map((r) => r.path)).toEqual(Array(FAST_RETRY.attempts).fill('/graphql'));
    expect(fake.versions('team', 'fashion', 'fashion')).toHaveLength(0);
    await sync(pipeline);
    expect(fake.versions('team', 'fashion', 'fashion')).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });

  it('does not absorb a rejected key: 401 fails the registration with the auth error', async () => {
    fake.fail({ path: /^\/graphql$/ }, 401);
    const pipeline = await onlinePipeline(fake.url);
    const error = await exportModel(pipeline).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_AUTH')).toBe(true);
    expect((error as Error).message).not.toContain(TEST_KEY);
    const store = pipeline.container.resolve(ArtifactStore);
    const spooled = await readdir(join(store.location, 'wandb', 'spool')).catch(() => []);
    expect(spooled).not.toContain('registry.jsonl');
  });
});
