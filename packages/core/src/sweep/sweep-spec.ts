/**
 * The `sweep` section of the config: what `mlops sweep` searches. Names follow W&B's sweep
 * configuration where they mean the same (`method`, `metric: { name, goal }`, `parameters` with
 * `value` / `values` / `distribution` + `min` / `max` / `q`), because users of sweeps know them;
 * camelCase where mlops' config is camelCase (`maxTrials` for W&B's `run_cap`, `earlyStop` for
 * `early_terminate`). `method: 'tpe'` is mlops' model-based search (W&B calls its own `bayes`).
 */
import { z } from 'zod';
import { SET_PATH_PATTERN } from '../config/set-overrides.js';

/** Search methods: every grid point, independent random draws, or Tree-structured Parzen Estimators. */
export const SWEEP_METHODS = ['grid', 'random', 'tpe'] as const;

/** A search method (see {@link SWEEP_METHODS}). */
export type SweepMethod = (typeof SWEEP_METHODS)[number];

/**
 * Distributions of a parameter, as W&B names them: `uniform` and `log_uniform_values` between
 * `min` and `max`; `log_uniform` draws `exp(u)` with `u` uniform in `[min, max]` (W&B's meaning:
 * the bounds are natural logs); `int_uniform` integers in `[min, max]`; `q_uniform` and
 * `q_log_uniform_values` round to multiples of `q`; `categorical` one of `values`.
 */
export const SWEEP_DISTRIBUTIONS = [
  'uniform',
  'log_uniform',
  'log_uniform_values',
  'int_uniform',
  'q_uniform',
  'q_log_uniform_values',
  'categorical',
] as const;

/** A distribution name (see {@link SWEEP_DISTRIBUTIONS}). */
export type SweepDistribution = (typeof SWEEP_DISTRIBUTIONS)[number];

/** A value a parameter may take: whatever a `--set` value can be. */
export type SweepValue = string | number | boolean | null | SweepValue[] | { [key: string]: SweepValue };

/** One searched key: a constant, a list of values, or a distribution. */
export interface SweepParameterSpec {
  /** A fixed value (W&B's `value`). */
  value?: SweepValue;
  /** The values to choose from: every one for `grid`, one at a time otherwise. */
  values?: SweepValue[];
  /** The distribution to draw from; `categorical` when only `values` is given. */
  distribution?: SweepDistribution;
  /** Lower bound (for `log_uniform`: of the natural log). */
  min?: number;
  /** Upper bound (for `log_uniform`: of the natural log). */
  max?: number;
  /** Quantization step of `q_uniform` / `q_log_uniform_values`. */
  q?: number;
}

/** Early stopping of poor trials on the metric of their `epochEnd` events. */
export interface SweepEarlyStop {
  /**
   * `asha`: asynchronous successive halving. Rungs at epochs `minIter · eta^k`; a trial reaching a
   * rung goes on only when its metric is in the best `1/eta` of the trials that reached it.
   */
  type: 'asha';
  /** First rung, in epochs (W&B's `min_iter`). Default 1. */
  minIter: number;
  /** Reduction factor between rungs (W&B's `eta`). Default 3. */
  eta: number;
}

/** Settings of the TPE method. */
export interface SweepTpeOptions {
  /**
   * Random trials before the model takes over. Default `min(10, max(2, floor(maxTrials / 3)))`:
   * Optuna's 10, less for the small budgets a laptop affords, so TPE gets trials to model.
   */
  startupTrials?: number;
  /** Fraction of finished trials modelled as "good" (hyperopt's `gamma`). Default 0.25. */
  gamma: number;
  /** Candidates drawn from the good density per suggestion (hyperopt/Optuna: 24). */
  candidates: number;
}

/** What the sweep optimizes. */
export interface SweepMetric {
  /**
   * A metric of the run (`mlops runs show`: `val/top1`, `test/top1`, `validation/loss`…), which is
   * also the name `epochEnd` reports it under when early stopping. Default `val/top1`.
   */
  name: string;
  /** `maximize` or `minimize`. Default `maximize`. */
  goal: 'maximize' | 'minimize';
}

/** The stages a trial may run (serve is never part of a trial). */
export const TRIAL_STAGES = ['data', 'model', 'train', 'evaluate', 'export'] as const;

/** The `sweep` section of the config. */
export interface SweepSpec {
  /** Shown in reports and W&B; default the project name. */
  name?: string;
  /** Search method. */
  method: SweepMethod;
  /** What is optimized. */
  metric: SweepMetric;
  /** Config keys as `--set` paths (`train.lr`), each with its values or distribution. */
  parameters: Record<string, SweepParameterSpec>;
  /** Trials to run in all (W&B's `run_cap`); for `grid` at most the grid's size (its default). */
  maxTrials?: number;
  /** Trials in flight at once, capped by the executor (local: one). Default 1. */
  concurrency: number;
  /** Seed of the search (draws and TPE). Default 0. */
  seed: number;
  /** The stages each trial runs. Default data → evaluate (a trial registers no model). */
  stages: (typeof TRIAL_STAGES)[number][];
  /** Early stopping of poor trials. */
  earlyStop?: SweepEarlyStop;
  /** TPE settings. */
  tpe: SweepTpeOptions;
}

const sweepValue: z.ZodType<SweepValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(sweepValue),
    z.record(z.string(), sweepValue),
  ]),
);

const LOG_DISTRIBUTIONS = new Set<string>(['log_uniform_values', 'q_log_uniform_values']);

const parameterSchema = z
  .strictObject({
    value: sweepValue.optional(),
    values: z.array(sweepValue).min(1).optional(),
    distribution: z.enum(SWEEP_DISTRIBUTIONS).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    q: z.number().positive().optional(),
  })
  .superRefine((p, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
    const kinds = [p.value !== undefined, p.values !== undefined, p.min !== undefined || p.max !== undefined];
    if (kinds.filter(Boolean).length !== 1) {
      problem('expected exactly one of value, values, or min and max with a distribution');
      return;
    }
    const distribution =
      p.distribution ?? (p.values ? 'categorical' : p.value !== undefined ? undefined : 'uniform');
    if (p.value !== undefined && p.distribution !== undefined)
      problem('a constant (value) takes no distribution');
    if (p.values !== undefined && distribution !== 'categorical')
      problem(`values go with distribution "categorical", not "${distribution}"`);
    if (distribution === undefined || distribution === 'categorical') return;
    if (p.min === undefined || p.max === undefined) {
      problem(`distribution "${distribution}" needs both min and max`);
      return;
    }
    if (!(p.min < p.max)) problem(`expected min < max (got min ${p.min}, max ${p.max})`);
    if (LOG_DISTRIBUTIONS.has(distribution) && p.min <= 0)
      problem(
        `distribution "${distribution}" needs min > 0 (got ${p.min}); "log_uniform" takes natural logs`,
      );
    if (distribution === 'int_uniform' && (!Number.isInteger(p.min) || !Number.isInteger(p.max)))
      problem('distribution "int_uniform" needs integer min and max');
    if (distribution.startsWith('q_') && p.q === undefined) problem(`distribution "${distribution}" needs q`);
    if (!distribution.startsWith('q_') && p.q !== undefined)
      problem(`q applies to q_uniform and q_log_uniform_values, not "${distribution}"`);
  });

/** The zod schema of the `sweep` section (part of the config schema). */
export const sweepSpecSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    method: z.enum(SWEEP_METHODS),
    metric: z
      .strictObject({
        name: z.string().min(1).default('val/top1'),
        goal: z.enum(['maximize', 'minimize']).default('maximize'),
      })
      .default({ name: 'val/top1', goal: 'maximize' }),
    parameters: z
      .record(z.string(), parameterSchema)
      .refine((p) => Object.keys(p).length > 0, 'expected at least one parameter')
      .superRefine((parameters, ctx) => {
        for (const key of Object.keys(parameters)) {
          if (!SET_PATH_PATTERN.test(key))
            ctx.addIssue({ code: 'custom', path: [key], message: 'expected a --set path such as train.lr' });
          else if (key === 'sweep' || key.startsWith('sweep.') || key === 'plugins' || key === 'store.path')
            ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" cannot be searched` });
        }
      }),
    maxTrials: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().default(1),
    seed: z.number().int().default(0),
    stages: z.array(z.enum(TRIAL_STAGES)).min(1).default(['data', 'model', 'train', 'evaluate']),
    earlyStop: z
      .strictObject({
        type: z.literal('asha'),
        minIter: z.number().int().positive().default(1),
        eta: z.number().gt(1).default(3),
      })
      .optional(),
    tpe: z
      .strictObject({
        startupTrials: z.number().int().min(1).optional(),
        gamma: z.number().gt(0).lt(1).default(0.25),
        candidates: z.number().int().positive().default(24),
      })
      .default({ gamma: 0.25, candidates: 24 }),
  })
  .superRefine((spec, ctx) => {
    if (spec.method !== 'grid' && spec.maxTrials === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['maxTrials'],
        message: `method "${spec.method}" needs maxTrials (how many trials to run)`,
      });
    if (spec.method === 'grid') {
      for (const [key, p] of Object.entries(spec.parameters)) {
        const countable = p.value !== undefined || p.values !== undefined || p.distribution === 'int_uniform';
        if (!countable)
          ctx.addIssue({
            code: 'custom',
            path: ['parameters', key],
            message: 'grid search needs values (or int_uniform), not a continuous distribution',
          });
      }
    }
  });

// The interfaces above are the documented shape; this fails to compile when they drift apart.
type Parsed = z.output<typeof sweepSpecSchema>;
const _sameShape: (spec: Parsed) => SweepSpec = (spec) => spec;
void _sameShape;
