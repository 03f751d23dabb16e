/**
 * Learning rate: timm's batch-size scaling of `lrBase`, and schedules (cosine, constant, step) with
 * linear warmup, following timm's schedulers at either granularity: per epoch (timm's default,
 * `sched_on_updates: false`: the rate is set at the start of each epoch, warmup and decay counted
 * in epochs) or per update (`sched_on_updates: true`: recomputed before every optimizer step, so
 * runs of a few epochs get a smooth warmup and decay instead of a staircase).
 */

import type { TrainConfig } from '@mlops/core';
import { MlopsError } from '@mlops/core';

/** How a base learning rate scales with the batch size: core's `TrainConfig.lrBaseScale`. */
export type LrScaleRule = NonNullable<TrainConfig['lrBaseScale']>;

/**
 * The learning-rate fields of core's `TrainConfig`: an explicit `lr`, or `lrBase` for a batch of
 * `lrBaseSize` scaled to this run's `batchSize` by the rule the `optimizer` picks.
 */
export type LearningRateConfig = Pick<
  TrainConfig,
  'lr' | 'lrBase' | 'lrBaseSize' | 'batchSize' | 'optimizer'
>;

/** A resolved peak learning rate and how it was obtained. */
export interface ResolvedLearningRate {
  /** Peak learning rate (what the schedule warms up to). */
  lr: number;
  /** `explicit` when `lr` was given, else the scaling rule applied to `lrBase`. */
  rule: 'explicit' | LrScaleRule;
}

/**
 * timm's default scaling rule for an optimizer (train.py: `lr_base_scale` unset → `sqrt` if the
 * optimizer name contains `ada` or `lamb`, else `linear`). So `adamw` and `adam` scale with the
 * square root of the batch ratio and `sgd` linearly.
 */
export function defaultLrScaleRule(optimizer: string): LrScaleRule {
  const name = optimizer.toLowerCase();
  return name.includes('ada') || name.includes('lamb') ? 'sqrt' : 'linear';
}

/**
 * The peak learning rate, as timm's train.py computes it: `lr` if set; otherwise
 * `lrBase * ratio` with `ratio = batchSize / lrBaseSize`, square-rooted for adaptive optimizers
 * (see {@link defaultLrScaleRule}) unless `scaleRule` says otherwise. REFERENCE's recipe —
 * adamw, `lr_base 0.01`, `lr_base_size 4096`, batch 128 — gives `0.01 * sqrt(128/4096) ≈ 1.77e-3`,
 * not the linear `3.1e-4`.
 */
export function resolveLearningRate(
  config: LearningRateConfig,
  scaleRule?: LrScaleRule,
): ResolvedLearningRate {
  if (config.lr !== undefined) return { lr: config.lr, rule: 'explicit' };
  if (!(config.lrBaseSize > 0) || !(config.batchSize > 0)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `lrBaseSize and batchSize must be positive (got ${config.lrBaseSize}, ${config.batchSize})`,
      { hint: 'Set train.lrBaseSize and train.batchSize to positive numbers (or give train.lr directly).' },
    );
  }
  const rule = scaleRule ?? defaultLrScaleRule(config.optimizer);
  const ratio = config.batchSize / config.lrBaseSize;
  return { lr: config.lrBase * (rule === 'sqrt' ? Math.sqrt(ratio) : ratio), rule };
}

/** Schedule shapes: core's `TrainConfig.scheduler`. */
export type SchedulerName = TrainConfig['scheduler'];

/** Everything a schedule needs. Epoch quantities are converted to steps with `stepsPerEpoch`. */
export interface LrScheduleOptions {
  /** Shape after warmup. */
  scheduler: SchedulerName;
  /** Peak learning rate (see {@link resolveLearningRate}). */
  peakLr: number;
  /** Planned epochs. */
  epochs: number;
  /** Optimizer steps per epoch (batches per epoch). */
  stepsPerEpoch: number;
  /** Warmup length in epochs (may be fractional); 0 disables. */
  warmupEpochs: number;
  /** Learning rate at step 0 of the warmup. */
  warmupLr: number;
  /** Floor of the cosine schedule. */
  minLr: number;
  /**
   * timm's `warmup_prefix`. Default false, as in timm: the cosine runs over the whole run and the
   * warmup overrides its first steps, so right after warmup the rate is the cosine's value there
   * (slightly below peak). True: the cosine starts at the peak after warmup and spans the rest.
   */
  warmupPrefix?: boolean;
  /** Step schedule: epochs between decays; default 90 (timm's `decay_epochs`). */
  decayEpochs?: number;
  /** Step schedule: multiplier per decay; default 0.1 (timm's `decay_rate`). */
  decayRate?: number;
  /**
   * timm's `sched_on_updates`: true recomputes the rate before every step; false (timm's default)
   * once per epoch, with warmup, cosine period and decay counted in whole epochs (a fractional
   * `warmupEpochs` is rounded, as timm's integer `warmup_epochs`). Default true here, the
   * trainer passes the config's value.
   */
  onUpdates?: boolean;
}

/** A learning rate per optimizer step. */
export interface LrSchedule {
  /** Steps in the planned run (`epochs * stepsPerEpoch`). */
  readonly totalSteps: number;
  /** Steps of linear warmup. */
  readonly warmupSteps: number;
  /**
   * Learning rate of the optimizer step with 0-based index `step` (the first step of the run is
   * 0 and uses `warmupLr`, as timm's scheduler sets `warmup_lr_init` before the first update).
   */
  lrAt(step: number): number;
}

/**
 * Builds a per-step schedule. Warmup (all shapes): `warmupLr + t * (peakLr - warmupLr) / warmupSteps`
 * for `t < warmupSteps`. Then:
 * - `cosine` (timm `CosineLRScheduler`, one cycle): `minLr + ½(peakLr − minLr)(1 + cos(π t/T))`,
 *   `T = totalSteps` (or `t` and `T` shifted by the warmup when `warmupPrefix`), `minLr` from `T` on;
 * - `constant`: `peakLr`;
 * - `step` (timm `StepLRScheduler`): `peakLr * decayRate^floor(t / decaySteps)`.
 */
export function createLrSchedule(options: LrScheduleOptions): LrSchedule {
  if (options.onUpdates === false) {
    // timm with t_in_epochs: the same schedule with one "step" per epoch, held for the epoch.
    const perEpoch = createLrSchedule({ ...options, stepsPerEpoch: 1, onUpdates: true });
    const stepsPerEpoch = options.stepsPerEpoch;
    return {
      totalSteps: Math.round(options.epochs * stepsPerEpoch),
      warmupSteps: perEpoch.warmupSteps * stepsPerEpoch,
      lrAt: (step: number) => perEpoch.lrAt(Math.floor(step / stepsPerEpoch)),
    };
  }
  const { scheduler, peakLr, warmupLr, minLr } = options;
  if (!(options.stepsPerEpoch > 0) || !(options.epochs > 0)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `epochs and stepsPerEpoch must be positive (got ${options.epochs}, ${options.stepsPerEpoch})`,
      { hint: 'Set train.epochs to a positive number; the training split must hold at least one batch.' },
    );
  }
  if (!['cosine', 'constant', 'step'].includes(scheduler)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `Unknown scheduler '${scheduler}' (expected cosine, constant or step)`,
      { hint: 'Set train.scheduler to cosine, constant or step.' },
    );
  }
  const totalSteps = Math.round(options.epochs * options.stepsPerEpoch);
  const warmupSteps = Math.max(0, Math.round(options.warmupEpochs * options.stepsPerEpoch));
  const warmupPrefix = options.warmupPrefix ?? false;
  const decaySteps = Math.max(1, Math.round((options.decayEpochs ?? 90) * options.stepsPerEpoch));
  const decayRate = options.decayRate ?? 0.1;

  const afterWarmup = (t: number): number => {
    switch (scheduler) {
      case 'constant':
        return peakLr;
      case 'step':
        return peakLr * decayRate ** Math.floor(t / decaySteps);
      case 'cosine': {
        const tCurrent = warmupPrefix ? t - warmupSteps : t;
        const period = warmupPrefix ? totalSteps - warmupSteps : totalSteps;
        if (period <= 0 || tCurrent >= period) return minLr;
        return minLr + 0.5 * (peakLr - minLr) * (1 + Math.cos((Math.PI * tCurrent) / period));
      }
      default: {
        const unknown: never = scheduler;
        throw new Error(`Unknown scheduler '${String(unknown)}' (expected cosine, constant or step)`);
      }
    }
  };

  return {
    totalSteps,
    warmupSteps,
    lrAt(step: number): number {
      if (step < warmupSteps) return warmupLr + (step * (peakLr - warmupLr)) / warmupSteps;
      return afterWarmup(step);
    },
  };
}
