import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/api/runs.js';
import { formatComparison } from '../../src/cli/format.js';
import { resolveUserConfig } from '../../src/config/load-config.js';
import type { UserConfig } from '../../src/config/types.js';
import { isMlopsError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/silent-logger.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { definePlugin } from '../../src/plugin/plugin.js';
import { RunStore } from '../../src/runs/run-store.js';
import { Engine } from '../../src/services/engine.js';
import { type SweepOptions, sweep } from '../../src/sweep/run-sweep.js';
import { SweepStore } from '../../src/sweep/sweep-record.js';
import type { TrialExecutor, TrialRequest } from '../../src/sweep/trial-executor.js';
import { escapeHtml } from '../../src/tracker/report/html-escape.js';
import { countingEnginePlugin } from '../pipeline/test-plugin.js';

async function project(user: UserConfig): Promise<{ root: string; options: SweepOptions }> {
  const root = await mkdtemp(join(tmpdir(), 'mlops-sweep-'));
  const file = join(root, 'mlops.config.ts');
  return {
    root,
    options: {
      logger: silentLogger,
      resolveConfig: async (overrides) => (await resolveUserConfig(user, { file, overrides })).config,
    },
  };
}

/** A fake executor: the metric is a known function of the trial's values. */
function syntheticExecutor(
  calls: TrialRequest[],
  options: { stopAfter?: { count: number; abort: AbortController } } = {},
): TrialExecutor {
  return {
    target: 'fake',
    description: 'a synthetic objective',
    maxConcurrency: 4,
    async run(request, control) {
      calls.push(request);
      if (options.stopAfter && calls.length > options.stopAfter.count) {
        await control.runStarted(`run-${request.sweep.trial}`);
        options.stopAfter.abort.abort(new Error('killed'));
        throw new Error('killed mid-trial');
      }
      const lr = request.config.train.lr as number;
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { runId: `run-${request.sweep.trial}`, metrics: { score: -((Math.log10(lr) + 2) ** 2) } };
    },
  };
}

const base: UserConfig = {
  project: 'demo',
  data: { source: 'generated' },
  train: { epochs: 1 },
  sweep: {
    method: 'random',
    metric: { name: 'score', goal: 'maximize' },
    parameters: { 'train.lr': { distribution: 'log_uniform_values', min: 1e-4, max: 1 } },
    maxTrials: 6,
    concurrency: 3,
  },
};

describe('mlops sweep', () => {
  it('runs the trials with their values as config overrides, records the sweep and writes its report', async () => {
    const { root, options } = await project(base);
    const calls: TrialRequest[] = [];
    const result = await sweep({ ...options, executor: syntheticExecutor(calls) });
    expect(result.sweep.status).toBe('finished');
    expect(result.sweep.trials.map((t) => t.status)).toEqual(Array(6).fill('succeeded'));
    expect(new Set(calls.map((c) => c.sweep.trial))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    for (const call of calls) {
      expect(call.overrides).toEqual([`train.lr=${call.sweep.params['train.lr']}`]);
      expect(call.config.train.lr).toBe(call.sweep.params['train.lr']);
    }
    const stored = await new SweepStore(join(root, '.mlops')).get(result.sweep.id);
    expect(stored.trials).toHaveLength(6);
    const best = result.best;
    expect(best?.value).toBe(Math.max(...stored.trials.map((t) => t.value as number)));
    const html = await readFile(result.report, 'utf8');
    expect(html).toContain('Parallel coordinates');
    expect(html.match(/<polyline /g)).toHaveLength(6);
    expect(html).toContain(`run <code>${best?.runId}</code>`);
    expect(html).toContain('Importance of each key');
  });

  it('resumes a killed sweep: finished trials are not rerun, the interrupted one reruns with the same values', async () => {
    const { options } = await project({
      ...base,
      sweep: { ...base.sweep, method: 'tpe', concurrency: 1, maxTrials: 5 },
    });
    const abort = new AbortController();
    const first: TrialRequest[] = [];
    const stopped = await sweep({
      ...options,
      signal: abort.signal,
      executor: syntheticExecutor(first, { stopAfter: { count: 2, abort } }),
    }).catch((error: unknown) => error);
    expect(isMlopsError(stopped, 'MLOPS_ERR_RUN_INTERRUPTED')).toBe(true);
    const store = new SweepStore(join((await options.resolveConfig?.([]))?.root as string, '.mlops'));
    const [killed] = await store.list();
    expect(killed?.status).toBe('interrupted');
    expect(killed?.trials.map((t) => t.status)).toEqual(['succeeded', 'succeeded', 'running']);
    expect(killed?.trials[2]?.runId).toBe('run-2');

    const second: TrialRequest[] = [];
    const resumed = await sweep({ ...options, executor: syntheticExecutor(second) });
    expect(resumed.sweep.id).toBe(killed?.id);
    expect(resumed.ran).toBe(3);
    expect(second.map((c) => c.sweep.trial)).toEqual([2, 3, 4]);
    expect(second[0]?.sweep.params).toEqual(first[2]?.sweep.params);
    expect(second[0]?.resumeRunId).toBe('run-2');
    expect(resumed.sweep.trials.map((t) => t.status)).toEqual(Array(5).fill('succeeded'));

    // Finished: a rerun runs nothing; --fresh starts over.
    const again: TrialRequest[] = [];
    expect((await sweep({ ...options, executor: syntheticExecutor(again) })).ran).toBe(0);
    expect(again).toHaveLength(0);
    const fresh = await sweep({ ...options, fresh: true, executor: syntheticExecutor(again) });
    expect(fresh.sweep.id).not.toBe(resumed.sweep.id);
    expect(fresh.ran).toBe(5);
  });

  it('refuses a bad sweep section with coded errors naming the key', async () => {
    const attempt = async (sweepSection: unknown) => {
      const { options } = await project({ ...base, sweep: sweepSection as UserConfig['sweep'] });
      return sweep({ ...options, executor: syntheticExecutor([]) }).catch((error: unknown) => error);
    };
    const typo = await attempt({ ...base.sweep, parameters: { 'train.lrr': { values: [0.1] } } });
    expect(isMlopsError(typo, 'MLOPS_ERR_CONFIG_INVALID')).toBe(true);
    expect((typo as Error).message).toMatch(
      /sweep\.parameters\.train\.lrr: not a config key \(did you mean "train\.lr"\?\)/,
    );
    const badValue = await attempt({
      ...base.sweep,
      parameters: { 'train.lr': { distribution: 'uniform', min: -1, max: 1 } },
    });
    expect((badValue as Error).message).toMatch(/sweep\.parameters\.train\.lr: -1 is not a valid value/);
    const badSpec = await attempt({ method: 'bayes', parameters: { 'train.lr': { min: 1 } } });
    expect(isMlopsError(badSpec, 'MLOPS_ERR_CONFIG_INVALID')).toBe(true);
    expect((badSpec as Error).message).toMatch(/sweep\.method: expected "grid", "random" or "tpe"/);
    expect((badSpec as Error).message).toMatch(/sweep\.parameters\.train\.lr: .*needs both min and max/);
    const noBudget = await attempt({ method: 'random', parameters: { 'train.lr': { values: [0.1] } } });
    expect((noBudget as Error).message).toMatch(/sweep\.maxTrials: method "random" needs maxTrials/);
    const none = await project({ project: 'demo' });
    const missing = await sweep(none.options).catch((error: unknown) => error);
    expect((missing as Error).message).toMatch(/no `sweep` section/);
  });
});

/** The counting test engine, with a validation metric that depends on the learning rate. */
function lrSensitiveEngine() {
  const counting = countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 });
  return definePlugin({
    name: 'lr-engine',
    version: '1.0.0',
    async apply(api) {
      await counting.apply(api);
      const engine = api.container.resolve(Engine);
      api.provide(Engine, {
        ...engine,
        buildModel: (ctx) => engine.buildModel(ctx),
        evaluate: (ctx) => engine.evaluate(ctx),
        async train(ctx) {
          const lr = ctx.config.train.lr as number;
          const epochs = ctx.config.train.epochs;
          let top1 = 0;
          for (let epoch = 1; epoch <= epochs; epoch++) {
            top1 = 0.9 - Math.abs(Math.log10(lr) + 2) / 10 + epoch / 100;
            await ctx.epochEnd({
              epoch,
              epochs,
              metrics: { 'val/top1': top1 },
              durationMs: 1,
              imagesPerSecond: 1,
              best: true,
            });
            if (ctx.signal.aborted) throw ctx.signal.reason;
          }
          const model = await ctx.store.putBytes(new TextEncoder().encode(`lr ${lr}`));
          return {
            model,
            history: model,
            epochs,
            bestEpoch: epochs,
            metrics: { top1 },
            backend: 'test',
            imagesPerSecond: 1,
          };
        },
      });
    },
  });
}

describe('mlops sweep, local trials', () => {
  it('runs each trial as an ordinary recorded run and prunes poor trials at ASHA rungs', async () => {
    const user: UserConfig = {
      project: 'demo',
      data: { source: 'generated' },
      train: { epochs: 4 },
      plugins: [lrSensitiveEngine()],
      sweep: {
        method: 'grid',
        metric: { name: 'val/top1', goal: 'maximize' },
        // Best first, then worse ones: ASHA keeps the first and stops the others at epoch 1.
        parameters: { 'train.lr': { values: [0.01, 0.1, 0.001, 1] } },
        earlyStop: { type: 'asha', minIter: 1, eta: 2 },
      },
    };
    const { root, options } = await project(user);
    const result = await sweep(options);
    const trials = result.sweep.trials;
    expect(trials.map((t) => t.status)).toEqual(['succeeded', 'pruned', 'pruned', 'pruned']);
    expect(trials[0]?.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(trials[1]?.prunedAt).toBe(1);
    expect(result.best?.index).toBe(0);
    expect(result.best?.value).toBeCloseTo(0.94, 6);
    const runs = new RunStore(join(root, '.mlops'));
    const recorded = await Promise.all(trials.map((t) => runs.get(t.runId as string)));
    // Stopped on purpose: `pruned`, with the sweep's reason, never `interrupted` (which --resume continues).
    expect(recorded.map((r) => r.status)).toEqual(['succeeded', 'pruned', 'pruned', 'pruned']);
    expect(recorded[1]?.error).toMatchObject({ code: 'MLOPS_ERR_RUN_PRUNED', stage: 'train' });
    expect(recorded[1]?.error?.message).toBe(
      `pruned by sweep ${result.sweep.id} at epoch 1 (val/top1 ${trials[1]?.epochs[0]?.value} below rung 0's cutoff ${trials[0]?.epochs[0]?.value}: the best 1 of 2 go on)`,
    );
    expect(recorded[0]?.config.train).toMatchObject({ lr: 0.01 });
    expect(recorded[0]?.stages.evaluate?.status).toBe('ran');
    expect(recorded[0]?.stages.export).toBeUndefined();
    const comparison = await compareRuns(trials[0]?.runId as string, trials[1]?.runId as string, {
      cwd: root,
      store: join(root, '.mlops'),
    });
    expect(JSON.stringify(comparison)).toContain('train.lr');
    expect(comparison.status).toMatchObject({ a: 'succeeded', b: 'pruned', changed: true });
    expect(formatComparison(comparison)).toMatch(/status +succeeded +pruned: pruned by sweep .* at epoch 1 /);
    const html = await readFile(result.report, 'utf8');
    expect(html).toContain('<td>pruned (epoch 1)</td>');
    expect(trials[1]?.prunedBecause).toBe(recorded[1]?.error?.message);
    expect(html).toContain(`<td>${escapeHtml(trials[1]?.prunedBecause)}</td>`);

    // `--resume latest` passes over the pruned trials (the newest runs) to the newest run that is
    // not final: trial 0, which succeeded, so there is nothing to resume.
    const config = await (options.resolveConfig as NonNullable<SweepOptions['resolveConfig']>)([]);
    const pipeline = await Pipeline.create({ config, logger: silentLogger });
    expect((await runs.get('latest')).id).toBe(trials[3]?.runId);
    const latest = await pipeline.run({ stages: ['evaluate'], resume: 'latest' });
    expect(latest.alreadySucceeded).toBe(true);
    expect(latest.run.id).toBe(trials[0]?.runId);
    // Named, a pruned run is refused: it is final.
    const named = await pipeline
      .run({ stages: ['evaluate'], resume: trials[3]?.runId as string })
      .catch((error: unknown) => error);
    expect(isMlopsError(named, 'MLOPS_ERR_RUN_PRUNED')).toBe(true);
    expect((named as Error).message).toMatch(/was pruned \(pruned by sweep .* at epoch 1 .*\): it is final/);
    expect((await runs.get(trials[3]?.runId as string)).status).toBe('pruned');
  });
});
