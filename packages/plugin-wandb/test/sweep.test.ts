/**
 * `mlops sweep` with the W&B plugin: the sweep is created on W&B (`upsertSweep`, local
 * controller) and every trial's run is created in it; a resumed sweep adds to the same W&B sweep.
 * Trials are real local runs of core's test engine (no network besides the fake W&B server).
 */
import { join } from 'node:path';
import { resolveUserConfig, silentLogger, sweep, type UserConfig } from '@mlops/core';
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
  it('creates the sweep on W&B and each trial run in it; a resumed sweep keeps adding to it', async () => {
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
    const options = (maxTrials: number) => ({
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
      state: 'RUNNING',
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
  });
});
