/**
 * What is particular to each stage, in one table: the config slice its cache key depends on, how
 * its output is reused, what it records on the run, the config it runs with, the notes its output
 * calls for, what provides it, and the hint when nothing did. The pipeline reads the table and
 * never branches on a stage's name.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { RunRecord } from '../runs/run-record.js';
import type { ArtifactRef } from '../services/artifact-store.js';
import { evaluationPrefix } from './run-explanations.js';
import { STAGES, type StageName, type StageOutputs } from './stage-outputs.js';

/**
 * How a stage's output is reused from the stage cache:
 * - `inputs`: looked up by the key of its inputs (config slice, upstream outputs, plugin versions)
 *   before it runs, and not run when found;
 * - `output`: it always runs (it reads something outside the config, such as the data folder), and
 *   counts as `cached` when the key made with `key(output)` in place of the upstream outputs was
 *   seen before (the data stage: a data version seen before);
 * - `never`: never reused (serving).
 */
export type StageCaching<S extends StageName> =
  | { readonly by: 'inputs' }
  | {
      readonly by: 'output';
      /** What stands in for the upstream outputs in the key. */
      readonly key: (output: StageOutputs[S]) => Record<string, string>;
      /** What the key says, for the log line when it is new (`new data version: …`). */
      readonly what: string;
    }
  | { readonly by: 'never' };

/** What provides a stage's output when no plugin replaces it (checked before a run starts). */
export type StageProvider = 'data-source' | 'engine' | 'exporter' | 'server';

/**
 * How to add each kind of provider: the hint of every error that says nothing provides a stage
 * (checked before a run starts, or a stage whose hook produced nothing).
 */
export const PROVIDER_HINTS: Readonly<Record<StageProvider, string>> = {
  'data-source':
    'imagefolder comes with core; fashion-mnist and mnist with @mlops/plugin-tfjs; other sources with the plugin that registers them',
  engine: "add @mlops/plugin-tfjs: import { tfjs } from '@mlops/plugin-tfjs'; plugins: [tfjs()]",
  exporter:
    'add the plugin that exports each of export.formats (tfjs: @mlops/plugin-tfjs, onnx: @mlops/plugin-onnx)',
  server: "add @mlops/server: import { server } from '@mlops/server'; plugins: [tfjs(), server()]",
};

/** The run-level fields of the run record a stage's output sets. */
export type RunFields = Partial<Pick<RunRecord, 'dataVersion' | 'backend'>>;

/** The config a stage runs with, and what was adjusted in it (recorded as the stage's notes). */
export interface AdjustedConfig {
  /** The config the stage sees. */
  config: ResolvedConfig;
  /** One sentence per adjustment. */
  notes: string[];
}

/** The rules of one stage; see {@link STAGE_RULES}. */
export interface StageRule<S extends StageName> {
  /** The slice of the config the stage depends on: part of its cache key. */
  configSlice(config: ResolvedConfig): unknown;
  /** How its output is reused. */
  readonly cache: StageCaching<S>;
  /** What provides it (and so the hint when nothing did: {@link PROVIDER_HINTS}). */
  readonly provider: StageProvider;
  /** Run-level fields its output sets on the run record (whether it ran or came from the cache). */
  runFields?(output: StageOutputs[S]): RunFields;
  /** The config it runs with, given the outputs so far; absent: the config as resolved. */
  adjustConfig?(config: ResolvedConfig, outputs: Partial<StageOutputs>): AdjustedConfig;
  /** Notes its output calls for (recorded with the stage and logged as warnings). */
  outputNotes?(output: StageOutputs[S], config: ResolvedConfig): string[];
  /**
   * The per-epoch history in its output, whose metrics a resumed run restores to `metrics.jsonl`
   * (epochs finished before the interruption whose lines never reached the disk).
   */
  epochHistory?(output: StageOutputs[S]): ArtifactRef | undefined;
}

/**
 * A batch larger than the training set is clamped to it (otherwise the learning rate would be
 * scaled for a batch that never happens).
 */
function clampBatchToTrainingSet(config: ResolvedConfig, outputs: Partial<StageOutputs>): AdjustedConfig {
  const images = outputs.data?.splits.train ?? outputs.data?.splits[config.data.splits.train];
  if (!images || config.train.epochs === 0 || config.train.batchSize <= images) return { config, notes: [] };
  const lr =
    config.train.lr === undefined
      ? `the learning rate is scaled from train.lrBase for a batch of ${images}`
      : `train.lr ${config.train.lr} is used as set`;
  return {
    config: { ...config, train: { ...config.train, batchSize: images } },
    notes: [
      `train.batchSize ${config.train.batchSize} is larger than the training set (${images} images): clamped to ${images}, one batch per epoch; ${lr}`,
    ],
  };
}

/** Every stage's rules. */
export const STAGE_RULES: { readonly [S in StageName]: StageRule<S> } = {
  data: {
    configSlice: (config) => config.data,
    // The data stage always looks at the files (they live outside the config), and is cached when
    // the resulting data version is one seen before.
    cache: { by: 'output', key: (data) => ({ version: data.version }), what: 'data version' },
    provider: 'data-source',
    runFields: (data) => ({ dataVersion: data.version }),
  },
  model: {
    // Initial weights depend on the seed.
    configSlice: (config) => ({ model: config.model, seed: config.train.seed }),
    cache: { by: 'inputs' },
    provider: 'engine',
  },
  train: {
    configSlice: (config) => config.train,
    cache: { by: 'inputs' },
    provider: 'engine',
    runFields: (train) => ({ backend: train.backend }),
    adjustConfig: clampBatchToTrainingSet,
    epochHistory: (train) => train.history,
  },
  evaluate: {
    configSlice: (config) => config.evaluate,
    cache: { by: 'inputs' },
    provider: 'engine',
    outputNotes: (evaluation, config) =>
      evaluation.split === config.evaluate.split
        ? []
        : [
            `the data has no "${config.evaluate.split}" split: evaluated on the ${evaluation.split} split (metrics ${evaluationPrefix(evaluation.split, config)}/*)`,
          ],
  },
  export: {
    configSlice: (config) => ({ export: config.export, registry: config.registry, model: config.model }),
    cache: { by: 'inputs' },
    provider: 'exporter',
  },
  serve: {
    configSlice: (config) => config.serve,
    cache: { by: 'never' },
    provider: 'server',
  },
};

/** The rules of `stage`, typed for it. */
export function stageRule<S extends StageName>(stage: S): StageRule<S> {
  return (STAGE_RULES as { readonly [K in StageName]: StageRule<K> })[stage];
}

/**
 * The slice of the config each stage depends on: part of its cache key, so changing `train.lr`
 * reruns train and everything after it, while data and model stay cached.
 */
export function stageConfigSlice(stage: StageName, config: ResolvedConfig): unknown {
  return STAGE_RULES[stage].configSlice(config);
}

/** Stages whose output is never reused from the cache. */
export const UNCACHED_STAGES: ReadonlySet<StageName> = new Set(
  STAGES.filter((stage) => STAGE_RULES[stage].cache.by === 'never'),
);
