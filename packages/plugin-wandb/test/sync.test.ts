/**
 * Offline mode end to end through the plugin: a run and registry changes are spooled under the
 * store, then `mlops wandb sync` uploads them; a sync that dies half-way (the server applied a
 * request but the answer never arrived) and is run again leaves no duplicate history rows and no
 * duplicate artifact versions.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ArtifactStore,
  isMlopsError,
  LocalArtifactStore,
  ModelRegistry,
  Pipeline,
  type PluginApi,
  resolveUserConfig,
  Tracker,
} from '@mlops/core';
import { describe, expect, it } from 'vitest';
import wandb, { WandbClient, WandbModelRegistry } from '../src/index.js';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { capturingLogger, FAST_RETRY, TEST_KEY, tempDir, useFakeWandb } from './helpers.js';

let fake: FakeWandbServer;
let root: string;
useFakeWandb((f, r) => {
  fake = f;
  root = r;
});

async function offlinePipeline(): Promise<Pipeline> {
  const { config } = await resolveUserConfig(
    {
      project: 'fashion',
      plugins: [
        wandb({ entity: 'team', mode: 'offline', registry: true, baseUrl: fake.url, retry: FAST_RETRY }),
      ],
    },
    { file: join(root, 'mlops.config.ts') },
  );
  return Pipeline.create({ config, logger: capturingLogger([]) });
}

function sync(pipeline: Pipeline, args: string[] = [], lines: string[] = []): Promise<unknown> {
  const command = pipeline.commands.find((c) => c.name === 'wandb sync [runId]');
  if (!command) throw new Error('wandb sync is not registered');
  const api: PluginApi = {
    hooks: pipeline.hooks,
    container: pipeline.container,
    config: pipeline.config,
    logger: capturingLogger(lines),
    provide: () => undefined,
    command: () => undefined,
  };
  return command.action(args, {}, api);
}

/** Spools a run of `steps` rows and a registered, promoted model version. */
async function spoolWork(pipeline: Pipeline, steps: number): Promise<void> {
  const [tracker] = pipeline.container.resolveAll(Tracker);
  await tracker!.start({
    id: 'offline-run',
    project: 'fashion',
    config: { train: { epochs: steps } },
    dir: root,
  });
  for (let step = 1; step <= steps; step++) tracker!.logMetrics({ 'train/loss': 1 / step }, step);
  tracker!.logSummary({ 'test/top1': 0.9 });
  await tracker!.finish('succeeded');

  const store = pipeline.container.resolve(ArtifactStore);
  const modelDir = join(root, 'model');
  await import('node:fs/promises').then((fs) => fs.mkdir(modelDir, { recursive: true }));
  await writeFile(join(modelDir, 'model.json'), '{"format":"layers-model"}');
  await writeFile(join(modelDir, 'weights.bin'), Buffer.alloc(1000, 7));
  const registry = pipeline.container.resolve(ModelRegistry);
  const version = await registry.register({
    model: 'fashion',
    artifacts: { tfjs: await store.putDir(modelDir, { name: 'model' }) },
    metrics: { top1: 0.9 },
    lineage: { runId: 'offline-run' },
    aliases: ['best'],
  });
  await registry.promote('fashion', version.version, 'production');
}

describe('offline spool and `mlops wandb sync`', () => {
  it('sends nothing while offline, then uploads the run and replays the registry', async () => {
    const pipeline = await offlinePipeline();
    await spoolWork(pipeline, 5);
    expect(fake.requests).toHaveLength(0);

    const result = (await sync(pipeline)) as { runs: { historyLines: number }[]; registry: unknown };
    expect(result.runs).toEqual([
      expect.objectContaining({ runId: 'offline-run', historyLines: 5, completed: true }),
    ]);
    expect(result.registry).toEqual({ registered: 1, aliases: 1 });
    expect(fake.historyRows('team', 'fashion', 'offline-run').map((r) => r._step)).toEqual([1, 2, 3, 4, 5]);
    expect(fake.run('team', 'fashion', 'offline-run')?.summary).toMatchObject({ 'test/top1': 0.9 });
    const versions = fake.versions('team', 'fashion', 'fashion');
    expect(versions).toHaveLength(1);
    expect(fake.aliases.get('team/fashion/fashion')?.get('production')).toBe(versions[0]!.id);
    expect(fake.aliases.get('team/fashion/fashion')?.get('best')).toBe(versions[0]!.id);
    expect(fake.violations).toEqual([]);

    // Again: nothing new to send, nothing duplicated.
    expect(await sync(pipeline)).toEqual({ runs: [expect.objectContaining({ historyLines: 0, files: 0 })] });
    expect(fake.versions('team', 'fashion', 'fashion')).toHaveLength(1);
  });

  it('survives a crash mid-sync: the re-sync resends from the acknowledged offset, with no duplicates', async () => {
    const pipeline = await offlinePipeline();
    await spoolWork(pipeline, 1200);
    // The second history batch (lines 500..999) reaches the server but its answer is lost, and
    // the sync dies there: exactly a crash between "sent" and "recorded as sent".
    fake.fail({ path: /file_stream/ }, 400, { skip: 1, afterApply: true });
    const error = await sync(pipeline).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_REQUEST')).toBe(true);
    expect(fake.historyRows('team', 'fashion', 'offline-run')).toHaveLength(1000);

    // The registry replay dies too: the commit is applied but its answer lost.
    fake.fail({ operation: 'CommitArtifact' }, 400, { afterApply: true });
    await expect(sync(pipeline)).rejects.toThrow(/CommitArtifact/);
    await sync(pipeline);

    const offsets = fake.requests
      .map(
        (r) =>
          (r.body as { files?: Record<string, { offset: number }> })?.files?.['wandb-history.jsonl']?.offset,
      )
      .filter((o) => o !== undefined);
    expect(offsets).toEqual([0, 500, 500, 1000]);
    const steps = fake.historyRows('team', 'fashion', 'offline-run').map((r) => r._step);
    expect(steps).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(fake.run('team', 'fashion', 'offline-run')?.exitcode).toBe(0);
    // One artifact version, found again by its digest rather than logged twice.
    expect(fake.versions('team', 'fashion', 'fashion')).toHaveLength(1);
    expect(fake.aliases.get('team/fashion/fashion')?.get('production')).toBeDefined();
    expect(fake.violations).toEqual([]);
  });

  it('names the spooled runs when asked for one that is not there', async () => {
    const pipeline = await offlinePipeline();
    await spoolWork(pipeline, 2);
    const error = await sync(pipeline, ['nope']).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_RUN_NOT_FOUND')).toBe(true);
    expect((error as { hint: string }).hint).toContain('offline-run');
  });

  it('replays an offline promotion with its gate, against what W&B holds by then; only a forced one is forced', async () => {
    // Meanwhile, another machine put a better version on W&B, holding `production` and `canary`.
    const elsewhere = await tempDir();
    const otherStore = new LocalArtifactStore(join(elsewhere, '.mlops'));
    await mkdir(join(elsewhere, 'm'), { recursive: true });
    await writeFile(join(elsewhere, 'm', 'model.json'), '{"other":true}');
    await new WandbModelRegistry({
      client: new WandbClient({ baseUrl: fake.url, apiKey: TEST_KEY, retry: FAST_RETRY }),
      entity: 'team',
      project: 'fashion',
      store: otherStore,
      stateDir: join(elsewhere, '.mlops', 'wandb'),
    }).register({
      model: 'fashion',
      artifacts: { tfjs: await otherStore.putDir(join(elsewhere, 'm')) },
      metrics: { top1: 0.95 },
      aliases: ['production', 'canary'],
    });

    const pipeline = await offlinePipeline();
    const store = pipeline.container.resolve(ArtifactStore);
    const registry = pipeline.container.resolve(ModelRegistry);
    const gate = { metric: 'top1', mode: 'max' } as const;
    for (const [seed, top1, alias, force] of [
      [1, 0.9, 'production', false],
      [2, 0.5, 'canary', true],
    ] as const) {
      const dir = join(root, `model-${seed}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'model.json'), JSON.stringify({ seed }));
      const version = await registry.register({
        model: 'fashion',
        artifacts: { tfjs: await store.putDir(dir, { name: 'model' }) },
        metrics: { top1 },
      });
      // Offline, the gate only sees the local registry, where nothing holds the alias yet.
      await registry.promote('fashion', version.version, alias, { gate, ...(force ? { force } : {}) });
    }

    const lines: string[] = [];
    const result = (await sync(pipeline, [], lines)) as { registry: unknown };
    expect(result.registry).toEqual({
      registered: 2,
      aliases: 1,
      refused: [
        {
          model: 'fashion',
          version: 2,
          alias: 'production',
          reason: expect.stringMatching(/top1 0.9 is worse than 0.95 of v1/),
        },
      ],
    });
    expect(lines.join('\n')).toMatch(/offline promotion of fashion v2 to "production" is not replayed/);
    const [w1, , w3] = fake.versions('team', 'fashion', 'fashion');
    expect(fake.aliases.get('team/fashion/fashion')?.get('production')).toBe(w1!.id); // kept
    expect(fake.aliases.get('team/fashion/fashion')?.get('canary')).toBe(w3!.id); // forced, as recorded
    expect(fake.violations).toEqual([]);
    // A second sync does not try again.
    expect(await sync(pipeline)).toEqual({ runs: [] });
  });
});
