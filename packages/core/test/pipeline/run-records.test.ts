import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveUserConfig } from '../../src/config/load-config.js';
import type { UserConfig } from '../../src/config/types.js';
import { isMlopsError, type MlopsError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/silent-logger.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { definePlugin } from '../../src/plugin/plugin.js';
import { LocalModelRegistry } from '../../src/registry/local-model-registry.js';
import { RunStore } from '../../src/runs/run-store.js';
import { makeTempDir, spawnTs, waitForExit, waitForLine } from '../store/spawn-ts.js';
import { countingEnginePlugin, resumableEnginePlugin } from './test-plugin.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir: root, cleanup } = await makeTempDir('mlops-records-'));
});
afterEach(() => cleanup());

async function pipelineFor(user: UserConfig, overrides: string[] = []): Promise<Pipeline> {
  const { config } = await resolveUserConfig(
    { project: 'demo', data: { source: 'generated' }, ...user },
    { file: join(root, 'mlops.config.ts'), overrides },
  );
  return Pipeline.create({ config, logger: silentLogger });
}

/** A stand-in server: the serve stage answers at once with a URL. */
const fakeServer = definePlugin({
  name: 'fake-server',
  apply(api) {
    api.hooks.serve.tapPromise('fake-server', async () => ({ url: 'http://127.0.0.1:1' }));
  },
});

const signal = () => new AbortController().signal;

describe('run records after faults', () => {
  it('records serve sessions apart: never latest, never resumed, and a succeeded run is not resumed again', async () => {
    const calls = { build: 0, train: 0, evaluate: 0, export: 0 };
    const pipeline = await pipelineFor({
      train: { epochs: 2 },
      plugins: [countingEnginePlugin(calls), fakeServer],
    });
    const trained = await pipeline.run({ signal: signal() });
    const served = await pipeline.run({ stages: ['serve'], signal: signal() });
    expect(served.run.kind).toBe('serve');

    const runs = new RunStore(join(root, '.mlops'));
    expect((await runs.list()).map((r) => r.id)).toEqual([served.run.id, trained.run.id]);
    expect((await runs.get('latest')).id).toBe(trained.run.id);

    const resumeServe = await pipeline
      .run({ resume: served.run.id, signal: signal() })
      .catch((e: unknown) => e);
    expect(isMlopsError(resumeServe, 'MLOPS_ERR_USAGE')).toBe(true);
    expect((resumeServe as MlopsError).message).toContain('is an `mlops serve` session, not a training run');

    // `--resume` (latest) finds the training run, which succeeded: nothing runs, nothing registers.
    const before = await readFile(join(root, '.mlops', 'runs', trained.run.id, 'run.json'), 'utf8');
    const again = await pipeline.run({ resume: 'latest', signal: signal() });
    expect(again.alreadySucceeded).toBe(true);
    expect(again.run.id).toBe(trained.run.id);
    expect(again.stages).toEqual([]);
    expect(calls.train).toBe(1);
    expect(await readFile(join(root, '.mlops', 'runs', trained.run.id, 'run.json'), 'utf8')).toBe(before);
    expect(await new LocalModelRegistry(join(root, '.mlops')).listVersions('demo')).toHaveLength(1);
  });

  it('refuses to resume a run whose process is still alive', async () => {
    const pipeline = await pipelineFor({
      plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 })],
    });
    const runs = new RunStore(join(root, '.mlops'));
    const live = await runs.create({ project: 'demo', config: {} }); // this process, running
    const error = (await pipeline
      .run({ resume: live.id, signal: signal() })
      .catch((e: unknown) => e)) as MlopsError;
    expect(error.code).toBe('MLOPS_ERR_USAGE');
    expect(error.message).toBe(`run ${live.id} is still running (pid ${process.pid} on ${hostname()})`);
    expect(error.hint).toBe(`stop that process (Ctrl-C) first, then: mlops run --resume ${live.id}`);
  });

  it('refuses to resume a run with other settings than it started with, naming them and the command', async () => {
    const calls = { build: 0, train: 0, evaluate: 0, export: 0 };
    const first = await pipelineFor({ train: { epochs: 3 }, plugins: [countingEnginePlugin(calls)] }, [
      'train.lr=0.002',
    ]);
    const controller = new AbortController();
    first.hooks.epochEnd.tap('stop', ({ epoch }) => {
      if (epoch === 1) controller.abort(new Error('SIGINT'));
    });
    await first.run({ signal: controller.signal }).catch(() => undefined);
    const interrupted = await new RunStore(join(root, '.mlops')).get('latest');
    expect(interrupted.status).toBe('interrupted');

    const other = await pipelineFor({ train: { epochs: 3 }, plugins: [countingEnginePlugin(calls)] });
    const error = (await other
      .run({ resume: 'latest', signal: signal() })
      .catch((e: unknown) => e)) as MlopsError;
    expect(error.code).toBe('MLOPS_ERR_USAGE');
    expect(error.message).toContain(
      `run ${interrupted.id} was started with another config (train.lr: 0.002 in the run, unset now)`,
    );
    expect(error.hint).toBe(
      `resume it with its own settings: mlops run --resume ${interrupted.id} --set train.lr=0.002`,
    );
    const same = await pipelineFor({ train: { epochs: 3 }, plugins: [countingEnginePlugin(calls)] }, [
      'train.lr=0.002',
    ]);
    expect((await same.run({ resume: 'latest', signal: signal() })).run.status).toBe('succeeded');
  });

  it('shows a kill -9 run as interrupted; its resume keeps the earlier epochs and time, and registers no duplicate', {
    timeout: 120_000,
  }, async () => {
    // The run that will be killed: 4 epochs of 200 ms, killed once epoch 2 is written.
    const child = spawnTs(fixture('killable-run.ts'), [root, '4']);
    const exited = waitForExit(child);
    await waitForLine(child, 'EPOCH 2', 60_000);
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');

    const runs = new RunStore(join(root, '.mlops'));
    const [killed] = await runs.list();
    expect(killed?.status).toBe('interrupted');
    expect(killed?.error?.message).toMatch(
      /the process running it \(pid \d+ on .+\) ended without finishing it \(killed\?\) during train/,
    );
    expect(killed?.attempts?.[0]?.pid).toBe(child.pid);
    const raw = JSON.parse(await readFile(join(root, '.mlops', 'runs', killed!.id, 'run.json'), 'utf8'));
    expect(raw.status).toBe('running'); // readers do not rewrite the record
    const steps = async () =>
      (await readFile(join(root, '.mlops', 'runs', killed!.id, 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { step: number }).step);
    expect(await steps()).toEqual([1, 2]);
    // Had the kill come before epoch 2's line reached the disk, the resume restores it from the
    // trainer's history.
    const metricsFile = join(root, '.mlops', 'runs', killed!.id, 'metrics.jsonl');
    await writeFile(metricsFile, `${(await readFile(metricsFile, 'utf8')).split('\n')[0]}\n`);

    // The same inputs finish in another run first: it registers v1.
    const pipeline = await pipelineFor({ train: { epochs: 4 }, plugins: [resumableEnginePlugin()] });
    const other = await pipeline.run({ signal: signal() });
    expect(other.outputs.export?.registered?.version).toBe(1);

    // Resuming the killed run: it continues after epoch 2, and its model is v1 again.
    const resumed = await pipeline.run({ resume: killed!.id, signal: signal() });
    expect(resumed.run.id).toBe(killed!.id);
    expect(resumed.run.status).toBe('succeeded');
    expect(resumed.outputs.export?.registered?.version).toBe(1);
    expect(await new LocalModelRegistry(join(root, '.mlops')).listVersions('demo')).toHaveLength(1);
    expect(await steps()).toEqual([1, 3, 4, 2]);

    // The duration covers both attempts: the killed one up to its last heartbeat, and this one.
    const attempts = resumed.run.attempts ?? [];
    expect(attempts).toHaveLength(2);
    const part = (i: number) =>
      Date.parse(attempts[i]?.endedAt ?? '') - Date.parse(attempts[i]?.startedAt ?? '');
    expect(part(0)).toBeGreaterThanOrEqual(400); // two epochs of 200 ms before the kill
    expect(resumed.run.durationMs).toBe(part(0) + part(1));
    const report = await readFile(join(resumed.dir, 'report.html'), 'utf8');
    expect(report).toContain('succeeded');
  });
});
