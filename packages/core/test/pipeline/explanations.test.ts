import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUserConfig } from '../../src/config/load-config.js';
import type { UserConfig } from '../../src/config/types.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { whyStageRan } from '../../src/pipeline/run-explanations.js';
import { definePlugin } from '../../src/plugin/plugin.js';
import type { RunRecord } from '../../src/runs/run-record.js';
import { RunStore } from '../../src/runs/run-store.js';
import { Engine } from '../../src/services/engine.js';
import type { Logger } from '../../src/services/logger.js';
import { writeTree } from '../data/helpers/tree.js';
import { countingEnginePlugin } from './test-plugin.js';

function capturingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: (message) => void lines.push(`info ${message}`),
    warn: (message) => void lines.push(`warn ${message}`),
    error: (message) => void lines.push(`error ${message}`),
    child: () => logger,
  };
  return logger;
}

async function project(files: Record<string, string>) {
  const root = await mkdtemp(join(tmpdir(), 'mlops-explain-'));
  await writeTree(root, files);
  return root;
}

const calls = () => ({ build: 0, train: 0, evaluate: 0, export: 0 });
const images = (splits: string[]) =>
  Object.fromEntries(
    splits.flatMap((split) =>
      ['cat', 'dog'].flatMap((label) =>
        [1, 2, 3].map((i) => [`images/${split}/${label}/${i}.png`, `${split}-${label}-${i}`]),
      ),
    ),
  );

async function pipeline(root: string, user: UserConfig, lines: string[] = [], overrides: string[] = []) {
  const { config } = await resolveUserConfig(
    { project: 'demo', data: { source: 'imagefolder', path: 'images' }, train: { epochs: 1 }, ...user },
    { file: join(root, 'mlops.config.ts'), overrides },
  );
  return Pipeline.create({ config, logger: capturingLogger(lines) });
}

const signal = () => new AbortController().signal;

describe('messages that say why', () => {
  it('says why a rerun retrained: the data version, config keys, in the log and the run record', async () => {
    const root = await project(images(['train', 'validation', 'test']));
    const plugins = [countingEnginePlugin(calls())];
    const first = await (await pipeline(root, { plugins })).run({ signal: signal() });
    expect(first.run.stages.train?.reason).toEqual(['no earlier run of the train stage in this store']);

    await writeTree(root, { 'images/train/cat/4.png': 'a new cat' });
    const lines: string[] = [];
    const second = await (await pipeline(root, { plugins }, lines)).run({ signal: signal() });
    const dataChange = `data version ${first.run.dataVersion?.slice(0, 12)} → ${second.run.dataVersion?.slice(0, 12)}`;
    expect(second.run.stages.data?.status).toBe('ran');
    expect(second.run.stages.data?.reason).toEqual([dataChange]);
    expect(second.run.stages.train?.reason).toEqual([dataChange]);
    expect(lines).toContain(`info train: running: ${dataChange}`);
    expect(lines).toContain(`info data: new data version: ${dataChange}`);

    const third = await (await pipeline(root, { plugins }, [], ['train.lr=0.001', 'train.seed=7'])).run({
      signal: signal(),
    });
    expect(third.run.stages.data?.status).toBe('cached');
    expect(third.run.stages.data?.reason).toBeUndefined();
    // The seed is part of the model stage too: it says so as well.
    expect(third.run.stages.model?.reason).toEqual(['config seed: 42 → 7']);
    // (The test engine's model does not depend on the seed: the model output is the same.)
    expect(third.run.stages.train?.reason).toEqual([
      'config train.lr: unset → 0.001',
      'config train.seed: 42 → 7',
    ]);
    const forced = await (await pipeline(root, { plugins }, [], ['train.lr=0.001', 'train.seed=7'])).run({
      force: ['evaluate'],
      signal: signal(),
    });
    expect(forced.run.stages.evaluate?.reason).toEqual(['forced (--force)']);
  });

  it('names plugin versions that changed, were added or removed', () => {
    const earlier = {
      id: '20261126-031500-ab12',
      project: 'demo',
      dataVersion: 'd'.repeat(64),
      config: {
        train: { lr: 0.001 },
        plugins: [
          { name: 'test-engine', version: '1.0.0' },
          { name: 'old', version: '1' },
        ],
      },
      packages: { '@mlops/core': '0.1.0', 'test-engine': '1.0.0', old: '1' },
      stages: {
        train: { status: 'ran', cacheKey: 'before', startedAt: '', durationMs: 0, inputs: { data: 'h' } },
      },
    } as unknown as RunRecord;
    const reasons = whyStageRan({
      stage: 'train',
      parts: {
        stage: 'train',
        config: { lr: 0.001 },
        upstream: { data: 'h' },
        plugins: { '@mlops/core': '0.1.0', 'test-engine': '1.1.0', 'new-plugin': '2' },
      },
      cacheKey: 'after',
      dataVersion: 'd'.repeat(64),
      history: [earlier],
      configSlice: (config) => config.train,
    });
    expect(reasons).toEqual([
      'plugin test-engine 1.0.0 → 1.1.0',
      'plugin new-plugin added',
      'plugin old removed',
    ]);
  });

  it('clamps a batch larger than the training set, and says so', async () => {
    const root = await project(images(['train', 'validation', 'test']));
    const seen: number[] = [];
    const probe = definePlugin({
      name: 'probe',
      apply(api) {
        api.hooks.train.tapPromise({ name: 'probe', stage: -1 }, async (value, ctx) => {
          seen.push(ctx.config.train.batchSize);
          return value;
        });
      },
    });
    const lines: string[] = [];
    const result = await (
      await pipeline(root, { plugins: [countingEnginePlugin(calls()), probe] }, lines)
    ).run({
      signal: signal(),
    });
    const note =
      'train.batchSize 128 is larger than the training set (6 images): clamped to 6, one batch per epoch; the learning rate is scaled from train.lrBase for a batch of 6';
    expect(seen).toEqual([6]);
    expect(lines).toContain(`warn train: ${note}`);
    expect(result.run.stages.train?.notes).toEqual([note]);
    // The recorded config is what the user asked for.
    expect((result.run.config.train as { batchSize: number }).batchSize).toBe(128);
  });

  it('names the split evaluation used when the data has no test split', async () => {
    const root = await project(images(['train', 'validation']));
    const fallback = definePlugin({
      name: 'fallback-evaluation',
      dependsOn: ['test-engine'],
      apply(api) {
        const engine = api.container.resolve(Engine);
        api.provide(Engine, {
          ...engine,
          evaluate: async (ctx) => ({ ...(await engine.evaluate(ctx)), split: 'validation' }),
        });
      },
    });
    const lines: string[] = [];
    const result = await (
      await pipeline(root, { plugins: [countingEnginePlugin(calls()), fallback] }, lines)
    ).run({
      signal: signal(),
    });
    expect(result.run.metrics).toMatchObject({ 'validation/top1': 0.91 });
    expect(Object.keys(result.run.metrics).some((key) => key.startsWith('test/'))).toBe(false);
    const note = 'the data has no "test" split: evaluated on the validation split (metrics validation/*)';
    expect(lines).toContain(`warn evaluate: ${note}`);
    expect(result.run.stages.evaluate?.notes).toEqual([note]);
    const summary = JSON.parse(await readFile(join(result.dir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ 'validation/top1': 0.91 });
  });

  it('writes a .gitignore into a store it creates, whatever its name', async () => {
    const root = await project(images(['train', 'validation', 'test']));
    await (
      await pipeline(root, { store: { path: 'models-store' }, plugins: [countingEnginePlugin(calls())] })
    ).run({
      signal: signal(),
    });
    expect(await readFile(join(root, 'models-store', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(await new RunStore(join(root, 'models-store')).list()).toHaveLength(1);
  });
});
