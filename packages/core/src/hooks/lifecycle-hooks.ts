import { AsyncParallelHook, AsyncSeriesHook, AsyncSeriesWaterfallHook } from 'tapable';
import type { ResolvedConfig } from '../config/types.js';
import type { EpochEndEvent, RunInfo, StageContext } from '../pipeline/stage-context.js';
import type { StageName, StageOutputs } from '../pipeline/stage-outputs.js';
import type { ArtifactInfo } from '../services/artifact-store.js';
import type { RunEndStatus } from '../services/tracker.js';

/**
 * A stage hook: an async waterfall whose value is the stage's output. A tap receives the value
 * so far (`undefined` until some tap produced it) and the stage context, and returns the value
 * for the next tap. Core's own tap (`mlops:core`, stage 0) produces the output from the
 * registered services unless an earlier tap already did; taps with a higher `stage` refine it.
 */
export type StageHook<S extends StageName> = AsyncSeriesWaterfallHook<
  [StageOutputs[S] | undefined, StageContext<S>]
>;

/** Payload of `runStart`. */
export interface RunStartEvent {
  /** The run. */
  run: RunInfo;
  /** Resolved config. */
  config: ResolvedConfig;
  /** Stages that will be considered, in order. */
  stages: StageName[];
}

/** Payload of `stageStart`. */
export interface StageStartEvent {
  /** The stage. */
  stage: StageName;
  /** The run. */
  run: RunInfo;
  /** Cache key of the stage's inputs. */
  cacheKey: string;
}

/** Payload of `stageEnd`. */
export interface StageEndEvent {
  /** The stage. */
  stage: StageName;
  /** The run. */
  run: RunInfo;
  /** `ran`, or `cached` when an earlier identical run's output was reused. */
  status: 'ran' | 'cached';
  /** Wall time in ms. */
  durationMs: number;
  /** The stage output. */
  output: StageOutputs[StageName];
}

/** Payload of `runEnd`. */
export interface RunEndEvent {
  /** The run. */
  run: RunInfo;
  /** Outcome. */
  status: RunEndStatus;
  /** Outputs of the stages that completed. */
  outputs: Partial<StageOutputs>;
  /** Wall time in ms. */
  durationMs: number;
}

/** Payload of `error`. */
export interface ErrorEvent {
  /** The error. */
  error: unknown;
  /** The stage it happened in, if any. */
  stage?: StageName;
  /** The run. */
  run: RunInfo;
}

/**
 * The typed map of every hook: the six stage waterfalls and the event hooks observers tap.
 * Tapping `hooks.train` gives the tap `(value: TrainOutput | undefined, ctx: StageContext<'train'>)`.
 */
export interface LifecycleHooks {
  /** Produces the dataset. */
  data: StageHook<'data'>;
  /** Builds the model. */
  model: StageHook<'model'>;
  /** Trains it. */
  train: StageHook<'train'>;
  /** Evaluates it. */
  evaluate: StageHook<'evaluate'>;
  /** Exports and registers it. */
  export: StageHook<'export'>;
  /** Serves it. */
  serve: StageHook<'serve'>;
  /** A run starts. */
  runStart: AsyncSeriesHook<[RunStartEvent]>;
  /** A stage starts (not called for stages restored from cache). */
  stageStart: AsyncSeriesHook<[StageStartEvent]>;
  /** A stage ended, ran or cached. */
  stageEnd: AsyncSeriesHook<[StageEndEvent]>;
  /** A training epoch ended. */
  epochEnd: AsyncSeriesHook<[EpochEndEvent, RunInfo]>;
  /** An artifact was stored. */
  artifact: AsyncParallelHook<[ArtifactInfo, RunInfo]>;
  /** The run ended (succeeded, failed or interrupted). */
  runEnd: AsyncSeriesHook<[RunEndEvent]>;
  /** Something failed. */
  error: AsyncSeriesHook<[ErrorEvent]>;
}

/** Name of any hook. */
export type HookName = keyof LifecycleHooks;

/** Creates a fresh set of hooks (one per pipeline). */
export function createLifecycleHooks(): LifecycleHooks {
  const stage = <S extends StageName>(): StageHook<S> =>
    new AsyncSeriesWaterfallHook<[StageOutputs[S] | undefined, StageContext<S>]>(['value', 'context']);
  return {
    data: stage<'data'>(),
    model: stage<'model'>(),
    train: stage<'train'>(),
    evaluate: stage<'evaluate'>(),
    export: stage<'export'>(),
    serve: stage<'serve'>(),
    runStart: new AsyncSeriesHook(['event']),
    stageStart: new AsyncSeriesHook(['event']),
    stageEnd: new AsyncSeriesHook(['event']),
    epochEnd: new AsyncSeriesHook(['event', 'run']),
    artifact: new AsyncParallelHook(['info', 'run']),
    runEnd: new AsyncSeriesHook(['event']),
    error: new AsyncSeriesHook(['event']),
  };
}
