import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUserConfig } from '../../src/config/load-config.js';
import type { UserConfig } from '../../src/config/types.js';
import { MlopsError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/silent-logger.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { LocalModelRegistry } from '../../src/registry/local-model-registry.js';
import { RunStore } from '../../src/runs/run-store.js';
import { countingEnginePlugin, type EngineCalls } from './test-plugin.js';

async function pipelineFor(user: UserConfig, calls: EngineCalls, overrides: string[] = [], failIn?: string) {
  const root = await mkdtemp(join(tmpdir(), 'mlops-pipeline-'));
  const { config } = await resolveUserConfig(
    {
      project: 'demo',
      data: { source: 'generated' },
      train: { epochs: 2 },
      ...user,
      plugins: [countingEnginePlugin(calls, { failIn })],
    },
    { file: join(root, 'mlops.config.ts'), overrides },
  );
  return { root, pipeline: await Pipeline.create({ config, logger: silentLogger }), config };
}

const newCalls = (): EngineCalls => ({ build: 0, train: 0, evaluate: 0, export: 0 });

describe('Pipeline', () => {
  it('runs the whole lifecycle, records the run, registers the model and writes the report', async () => {
    const calls = newCalls();
    const { root, pipeline } = await pipelineFor({ registry: { promoteTo: 'preproduction' } }, calls);
    const result = await pipeline.run({ signal: new AbortController().signal });
    expect(result.stages.map((s) => `${s.stage}:${s.status}`)).toEqual([
      'data:ran',
      'model:ran',
      'train:ran',
      'evaluate:ran',
      'export:ran',
    ]);
    expect(calls).toEqual({ build: 1, train: 1, evaluate: 1, export: 1 });
    expect(result.outputs.data?.classes).toEqual(['cat', 'dog']);
    expect(result.outputs.data?.splits).toEqual({ train: 6, validation: 6, test: 6 });

    const record = await new RunStore(join(root, '.mlops')).get('latest');
    expect(record.status).toBe('succeeded');
    expect(record.dataVersion).toBe(result.outputs.data?.version);
    expect(record.metrics['test/top1']).toBe(0.91);
    expect(Object.keys(record.stages)).toEqual(['data', 'model', 'train', 'evaluate', 'export']);
    expect(record.packages['test-engine']).toBe('1.0.0');

    const registry = new LocalModelRegistry(join(root, '.mlops'));
    const version = await registry.resolve('demo', { alias: 'preproduction' });
    expect(version.version).toBe(1);
    expect(version.lineage.runId).toBe(record.id);
    expect(version.lineage.dataVersion).toBe(record.dataVersion);
    expect(version.metrics.top1).toBe(0.91);
    expect(version.metadata.labels).toEqual(['cat', 'dog']);

    const metrics = await readFile(join(root, '.mlops', 'runs', record.id, 'metrics.jsonl'), 'utf8');
    expect(metrics.trim().split('\n')).toHaveLength(2);
    const report = await readFile(join(root, '.mlops', 'runs', record.id, 'report.html'), 'utf8');
    expect(report).toContain('<svg');
  });

  it('caches unchanged stages and reruns only what a config change touches', async () => {
    const calls = newCalls();
    const { config } = await pipelineFor({}, calls);
    const again = await Pipeline.create({ config, logger: silentLogger });
    await again.run({ signal: new AbortController().signal });
    const second = await again.run({ signal: new AbortController().signal });
    expect(second.stages.map((s) => s.status)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached']);
    expect(calls.train).toBe(1);

    const changed = await Pipeline.create({
      config: { ...config, train: { ...config.train, lr: 0.5 } },
      logger: silentLogger,
    });
    const third = await changed.run({ signal: new AbortController().signal });
    expect(third.stages.map((s) => s.status)).toEqual(['cached', 'cached', 'ran', 'ran', 'ran']);
    expect(calls).toEqual({ build: 1, train: 2, evaluate: 2, export: 2 });

    // A forced stage reruns; its output is identical, so what depends on it stays cached
    // (cache keys hash outputs, not run ids).
    const forced = await changed.run({ force: ['evaluate'], signal: new AbortController().signal });
    expect(forced.stages.map((s) => s.status)).toEqual(['cached', 'cached', 'cached', 'ran', 'cached']);
    expect(calls.evaluate).toBe(3);
  });

  it('runs only up to the stage asked for', async () => {
    const calls = newCalls();
    const { pipeline } = await pipelineFor({}, calls);
    const result = await pipeline.run({ stages: ['train'], signal: new AbortController().signal });
    expect(result.stages.map((s) => s.stage)).toEqual(['data', 'model', 'train']);
    expect(calls.evaluate).toBe(0);
  });

  it('records a failed stage with its error and fires the error hook', async () => {
    const calls = newCalls();
    const { root, pipeline } = await pipelineFor({}, calls, [], 'train');
    const errors: string[] = [];
    pipeline.hooks.error.tap('test', ({ stage }) => void errors.push(String(stage)));
    await expect(pipeline.run({ signal: new AbortController().signal })).rejects.toThrow('diverged');
    const record = await new RunStore(join(root, '.mlops')).get('latest');
    expect(record.status).toBe('failed');
    expect(record.stages.train?.status).toBe('failed');
    expect(record.stages.train?.error?.message).toBe('diverged');
    expect(record.error?.stage).toBe('train');
    expect(errors).toEqual(['train']);
  });

  it('ends the run as failed, with the error, when a runStart tap throws', async () => {
    const calls = newCalls();
    const { root, pipeline } = await pipelineFor({}, calls);
    const seen: string[] = [];
    pipeline.hooks.runStart.tapPromise('login', async () => {
      throw new MlopsError('MLOPS_ERR_REMOTE_AUTH', 'the tracker refused the API key');
    });
    pipeline.hooks.error.tap('t', ({ stage }) => void seen.push(`error:${stage}`));
    pipeline.hooks.runEnd.tap('t', ({ status }) => void seen.push(`runEnd:${status}`));
    await expect(pipeline.run({ signal: new AbortController().signal })).rejects.toThrow(
      'the tracker refused the API key',
    );
    const [id] = await new RunStore(join(root, '.mlops')).ids();
    // As written on disk: this process is alive, so only the file itself tells "running" apart.
    const written = JSON.parse(await readFile(join(root, '.mlops', 'runs', id!, 'run.json'), 'utf8'));
    expect(written.status).toBe('failed');
    expect(written.endedAt).not.toBeNull();
    expect(written.attempts[0].endedAt).toBe(written.endedAt);
    expect(written.error).toEqual({
      code: 'MLOPS_ERR_REMOTE_AUTH',
      message: 'the tracker refused the API key',
    });
    expect(written.stages).toEqual({});
    expect(calls).toEqual(newCalls());
    expect(seen).toEqual(['error:undefined', 'runEnd:failed']);
  });

  it('records a failed run even when an error tap fails too, and throws the original error', async () => {
    const calls = newCalls();
    const { root, pipeline } = await pipelineFor({}, calls, [], 'train');
    pipeline.hooks.error.tapPromise('notifier', async () => {
      throw new Error('webhook down');
    });
    await expect(pipeline.run({ signal: new AbortController().signal })).rejects.toThrow('diverged');
    const record = await new RunStore(join(root, '.mlops')).get('latest');
    expect(record.status).toBe('failed');
    expect(record.error).toEqual({ message: 'diverged', stage: 'train' });
  });

  it('says which plugin to add when no engine is present', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-pipeline-'));
    const { config } = await resolveUserConfig(
      { data: { source: 'imagefolder', path: 'missing' } },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: silentLogger });
    // Checked before anything runs: the data stage (whose folder is missing too) is not reached.
    const error = (await pipeline
      .run({ stages: ['model'], signal: new AbortController().signal })
      .catch((e: unknown) => e)) as MlopsError;
    expect(error.message).toBe('the model stage needs an engine, and no plugin provides one');
    expect(error.hint).toMatch(/@mlops\/plugin-tfjs.*nothing ran/);
    expect(await new RunStore(join(root, '.mlops')).list()).toEqual([]);
  });

  it('checks before training that every export format and serving has a provider', async () => {
    const calls = newCalls();
    const { root, pipeline } = await pipelineFor({ export: { formats: ['tfjs', 'onnx'] } }, calls);
    const error = (await pipeline
      .run({ signal: new AbortController().signal })
      .catch((e: unknown) => e)) as MlopsError;
    expect(error.code).toBe('MLOPS_ERR_SERVICE_MISSING');
    expect(error.message).toBe('export.formats names "onnx", and no plugin exports it (exporters: tfjs)');
    expect(error.hint).toContain('add @mlops/plugin-onnx to plugins, or remove "onnx" from export.formats');
    expect(calls.train).toBe(0);
    expect(await new RunStore(join(root, '.mlops')).list()).toEqual([]);

    const serve = (await pipeline
      .run({ stages: ['serve'], signal: new AbortController().signal })
      .catch((e: unknown) => e)) as MlopsError;
    expect(serve.message).toBe('serving needs a server, and no plugin provides one');
    expect(serve.hint).toContain('add @mlops/server');
  });

  it('fires event hooks in order with typed payloads', async () => {
    const calls = newCalls();
    const { pipeline } = await pipelineFor({}, calls);
    const events: string[] = [];
    pipeline.hooks.runStart.tap('t', () => void events.push('runStart'));
    pipeline.hooks.stageStart.tap('t', ({ stage }) => void events.push(`start:${stage}`));
    pipeline.hooks.stageEnd.tap('t', ({ stage, status }) => void events.push(`end:${stage}:${status}`));
    pipeline.hooks.epochEnd.tap('t', ({ epoch }) => void events.push(`epoch:${epoch}`));
    pipeline.hooks.runEnd.tap('t', ({ status }) => void events.push(`runEnd:${status}`));
    await pipeline.run({ stages: ['train'], signal: new AbortController().signal });
    expect(events).toEqual([
      'runStart',
      'start:data',
      'end:data:ran',
      'start:model',
      'end:model:ran',
      'start:train',
      'epoch:1',
      'epoch:2',
      'end:train:ran',
      'runEnd:succeeded',
    ]);
  });
});
