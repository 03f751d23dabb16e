/**
 * Which search finds the better config in the same budget on the example: random search or TPE.
 * Both sweep training keys (learning rate, weight decay, label smoothing, dropout, batch size) of
 * the example's config (`examples/image-classifier/configs/default.yaml`: fast_cnn, AdamW, cosine,
 * EMA) on Fashion-MNIST, on a small subset
 * (`--per-class`, default 100 images per class and split) for `--epochs` (default 1), `--trials`
 * trials each (default 8), with the same seed, one trial after another on this machine. TPE's
 * start-up trials are random search's first draws (same seed), so those runs come from the stage
 * cache the second time; the methods differ in the trials after them.
 *
 * Prints JSON: each method's best validation top-1 (the sweep metric, `val/top1`), the test
 * top-1 of that trial, every trial, and `tpeOverRandom` = TPE's best / random's best (random
 * search is the reference, measured in the same run). One seed on a tiny budget is one sample:
 * repeat with `--seed` to see the spread.
 *
 *   npx jiti bench/sweep-methods.bench.ts [--trials 8] [--epochs 1] [--per-class 100] [--seed 0]
 */
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ResolvedConfig,
  resolveUserConfig,
  type SweepResult,
  silentLogger,
  sweep,
  type UserConfig,
} from '@mlops/core';
import { tfjs } from '@mlops/plugin-tfjs';
import { flag } from './lib/flags.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const trials = Number(flag('trials', '8'));
const epochs = Number(flag('epochs', '1'));
const perClass = Number(flag('per-class', '100'));
const seed = Number(flag('seed', '0'));

/** The example's config (its preset: model, recipe, EMA), on a subset, trials up to evaluate. */
function config(method: 'random' | 'tpe'): UserConfig {
  return {
    project: 'sweep-bench',
    extends: join(repo, 'examples/image-classifier/configs/default.yaml'),
    data: { limitPerClass: perClass },
    train: { epochs, backend: 'wasm' },
    plugins: [tfjs({ backend: 'wasm' })],
    sweep: {
      method,
      seed,
      maxTrials: trials,
      metric: { name: 'val/top1', goal: 'maximize' },
      parameters: {
        'train.lr': { distribution: 'log_uniform_values', min: 1e-4, max: 3e-2 },
        'train.weightDecay': { distribution: 'log_uniform_values', min: 1e-4, max: 0.3 },
        'train.labelSmoothing': { distribution: 'uniform', min: 0, max: 0.2 },
        'model.dropout': { distribution: 'uniform', min: 0, max: 0.4 },
        'train.batchSize': { values: [32, 64, 128] },
      },
    },
  };
}

function summary(result: SweepResult, seconds: number) {
  const best = result.best;
  return {
    best: best?.value ?? null,
    bestTestTop1: best?.metrics?.['test/top1'] ?? null,
    bestParams: best?.params ?? null,
    seconds: Number(seconds.toFixed(1)),
    trials: result.sweep.trials.map((t) => ({
      index: t.index,
      status: t.status,
      value: t.value ?? null,
      params: t.params,
    })),
  };
}

const root = await mkdtemp(join(tmpdir(), 'mlops-sweep-bench-'));
const results: Record<string, ReturnType<typeof summary>> = {};
for (const method of ['random', 'tpe'] as const) {
  const user = config(method);
  const resolveConfig = async (overrides: readonly string[]): Promise<ResolvedConfig> =>
    (await resolveUserConfig(user, { file: join(root, 'mlops.config.ts'), overrides })).config;
  const started = performance.now();
  process.stderr.write(`${method}: ${trials} trials of ${epochs} epoch(s) on ${perClass} images per class\n`);
  const result = await sweep({ resolveConfig, logger: silentLogger });
  results[method] = summary(result, (performance.now() - started) / 1000);
  process.stderr.write(`${method}: best val/top1 ${results[method]?.best}\n`);
}
const random = results.random?.best ?? Number.NaN;
const tpe = results.tpe?.best ?? Number.NaN;
console.log(
  JSON.stringify(
    {
      bench: 'sweep-methods',
      budget: { trials, epochs, perClass, seed },
      reference: 'random',
      tpeOverRandom: Number((tpe / random).toFixed(4)),
      winner: tpe > random ? 'tpe' : tpe < random ? 'random' : 'tie',
      random: results.random,
      tpe: results.tpe,
      machine: { cpus: availableParallelism(), loadavg: loadavg().map((l) => Number(l.toFixed(2))) },
    },
    null,
    2,
  ),
);
