/**
 * `mlops sweep` with the W&B plugin: the sweep is created on W&B (`upsertSweep`, local
 * controller) and every trial's run is created in it; a resumed sweep adds to the same W&B sweep.
 * The W&B sweep is `FINISHED` when the mlops sweep is, `RUNNING` while it runs or was stopped.
 * Trials are real local runs of core's test engine (no network besides the fake W&B server).
 */
import { join } from 'node:path';
import { isMlopsError, resolveUserConfig, silentLogger, sweep, type UserConfig } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingEnginePlugin } from '../../core/test/pipeline/test-plugin.js';
import { wandb } from '../src/index.js';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { FAST_RETRY, startFake, TEST_KEY, tempDir } from './helpers.js';

let fake: FakeWandbServer;
beforeAll(async () => {
  fake = await startFake();
  process.env.WANDB_API_KEY = TEST_KEY;
  process.env.NETRC = '/nonexistent/netrc';
  delete process.env.WANDB_MODE;
});
afterAll(async () => {
  await fake.close();
});

describe('mlops sweep on W&B', () => {
  it('creates the sweep on W&B and each trial run in it; a resumed sweep keeps adding to it; its state follows the sweep', async () => {
    const root = await tempDir();
    const user = (maxTrials: number): UserConfig => ({
      project: 'fashion',
      data: { source: 'generated' },
      train: { epochs: 2 },
      plugins: [
        countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 }),
        wandb({ entity: 'team', baseUrl: fake.url, retry: FAST_RETRY }),
      ],
      sweep: {
        method: 'tpe',
        metric: { name: 'val/top1', goal: 'maximize' },
        parameters: {
          'train.lr': { distribution: 'log_uniform_values', min: 1e-4, max: 1e-1 },
          'train.optimizer': { values: ['adamw', 'sgd'] },
        },
        maxTrials,
        earlyStop: { type: 'asha', minIter: 1, eta: 3 },
      },
    });
    const options = (maxTrials: number, signal?: AbortSignal) => ({
      ...(signal ? { signal } : {}),
      logger: silentLogger,
      resolveConfig: async (overrides: readonly string[]) =>
        (await resolveUserConfig(user(maxTrials), { file: join(root, 'mlops.config.ts'), overrides })).config,
    });

    const first = await sweep(options(2));
    expect(fake.violations).toEqual([]);
    expect(fake.sweeps.size).toBe(1);
    const [created] = [...fake.sweeps.values()];
    expect(created).toMatchObject({
      entity: 'team',
      project: 'fashion',
      controller: { type: 'local' },
      // Created RUNNING; set FINISHED (by the sweep's GraphQL id, as the SDK's set_sweep_state) at the end.
      state: 'FINISHED',
      config: {
        method: 'bayes',
        metric: { name: 'val/top1', goal: 'maximize' },
        parameters: { 'train.lr': { distribution: 'log_uniform_values', min: 1e-4, max: 1e-1 } },
        run_cap: 2,
        early_terminate: { type: 'hyperband', min_iter: 1, eta: 3 },
      },
    });
    expect(first.sweep.external['@mlops/plugin-wandb']).toEqual({
      sweep: created?.name,
      entity: 'team',
      project: 'fashion',
    });
    for (const trial of first.sweep.trials) {
      const run = fake.run('team', 'fashion', trial.runId as string);
      expect(run?.sweep).toBe(created?.name);
      expect(run?.config.train).toMatchObject({ value: { lr: trial.params['train.lr'] } });
    }

    // More trials for the same sweep: no second W&B sweep, the new runs join the first.
    const second = await sweep(options(3));
    expect(second.sweep.id).toBe(first.sweep.id);
    expect(second.ran).toBe(1);
    expect(fake.violations).toEqual([]);
    expect(fake.sweeps.size).toBe(1);
    const added = second.sweep.trials[2];
    expect(fake.run('team', 'fashion', added?.runId as string)?.sweep).toBe(created?.name);
    const states = () =>
      fake.requests.filter((r) => r.operation === 'UpsertSweep').map((r) => r.variables?.state);
    // Created, finished; extended: running again, finished again.
    expect(states()).toEqual(['RUNNING', 'FINISHED', 'RUNNING', 'FINISHED']);
    expect(created?.state).toBe('FINISHED');
    expect(
      fake.requests
        .filter((r) => r.operation === 'UpsertSweep' && r.variables?.id !== undefined)
        .map((r) => r.variables?.id),
    ).toEqual(Array(3).fill(created?.id));

    // Extended again and stopped during its trial (Ctrl-C): W&B shows it running, as a rerun goes on.
    const stop = new AbortController();
    fake.after({ operation: 'UpsertBucket', variables: (v) => v.sweep === created?.name }, () =>
      stop.abort(new Error('Ctrl-C')),
    );
    const stopped = await sweep(options(4, stop.signal)).catch((error: unknown) => error);
    expect(isMlopsError(stopped, 'MLOPS_ERR_RUN_INTERRUPTED')).toBe(true);
    expect(fake.violations).toEqual([]);
    expect(states()).toEqual(['RUNNING', 'FINISHED', 'RUNNING', 'FINISHED', 'RUNNING']);
    expect(created?.state).toBe('RUNNING');
    // Rerun to its end: finished.
    const resumed = await sweep(options(4));
    expect(resumed.sweep.status).toBe('finished');
    expect(resumed.sweep.trials.map((t) => t.status)).not.toContain('running');
    expect(created?.state).toBe('FINISHED');
    expect(fake.violations).toEqual([]);
  });
});
