import type { EpochEndEvent, Progress } from '@mlops/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BatchSource } from '../data/batch-source.js';
import type { OptimizerConfig } from './create-optimizer.js';
import type { FreezeSpec } from './freeze.js';
import type {
  LearningRateConfig,
  LrScaleRule,
  LrScheduleOptions,
  ResolvedLearningRate,
  SchedulerName,
} from './lr-schedule.js';
import type { MetricMode } from './metric-tracking.js';
import type { TrainObserver } from './train-observer.js';
import type { EpochRecord } from './trainer-state.js';

/**
 * The fields of `TrainConfig` the trainer uses (structurally identical, so a resolved
 * `TrainConfig` can be passed as is; augmentation and backend belong to other parts).
 */
export interface TrainerConfig extends OptimizerConfig, Omit<LearningRateConfig, 'optimizer'> {
  /** Planned epochs. */
  epochs: number;
  /** Batch size. */
  batchSize: number;
  /** Schedule shape. */
  scheduler: SchedulerName;
  /** Linear warmup epochs. */
  warmupEpochs: number;
  /** Learning rate at the start of warmup. */
  warmupLr: number;
  /** Floor of the cosine schedule. */
  minLr: number;
  /**
   * timm's `sched_on_updates`: true moves the schedule every step, false (timm's default) once per
   * epoch. Unset: per step (the trainer's behaviour before the key existed).
   */
  schedOnUpdates?: boolean;
  /** Compute threads of the training step on the wasm backend (1-8); unset: every core. */
  threads?: number;
  /** Label smoothing of the training loss. */
  labelSmoothing: number;
  /** Model EMA. */
  ema: { enabled: boolean; decay: number };
  /** Max global gradient norm; 0 disables. */
  gradClip: number;
  /**
   * Seed of the dropout and drop-path masks, drawn per step from `(seed, step)` (model init is
   * seeded by the caller, shuffling by the source).
   */
  seed: number;
  /** Early stopping on `metric` (a bare name means `val/<name>`); patience 0 disables. */
  earlyStopping: { patience: number; metric: string; mode: MetricMode };
  /** Metric picking the best checkpoint, e.g. `top1` (minimized if it names a loss). */
  evalMetric: string;
  /** `epoch-N/` checkpoints kept besides `best/` and `last/`: the best N by the eval metric (timm's). */
  checkpointHistory: number;
  /**
   * Layers whose weights stay fixed: `backbone` (every layer but `TrainOptions.headLayers`) or
   * layer-name patterns (`*` wildcard; a pattern also covers the layers below it, `blocks.0` =
   * `blocks.0.*`). Frozen BatchNorm layers run in inference mode. Unset: everything trains.
   */
  freeze?: FreezeSpec;
  /** Epochs `freeze` applies to; from the next epoch on everything trains. Unset: the whole run. */
  unfreezeAfterEpochs?: number;
  /** Layer-wise learning-rate decay (timm's `layer_decay`), in (0, 1]; unset or 1: none. */
  layerDecay?: number;
}

/** A progress bar: core's `Progress`. */
export type ProgressReporter = Progress;

/** End-of-epoch payload: core's `EpochEndEvent`. */
export type { EpochEndEvent };

/** Where the trainer reports notable decisions (structurally a subset of core's `Logger`). */
export interface TrainerLogger {
  /** Normal progress. */
  info(message: string): void;
  /** Something the user should look at. */
  warn(message: string): void;
}

/** Metadata stored with a checkpoint (fits model-io's `ModelMetadata`). */
export type CheckpointMetadata = Record<string, string | number | boolean>;

/** Saves `model` to `dir` atomically (model-io's `saveModel` fits). */
export type SaveModelFn = (
  model: LayersModel,
  dir: string,
  metadata?: CheckpointMetadata,
) => Promise<unknown>;

/**
 * Which weights `val/*` and the checkpoints use when EMA is on: `better` (default) picks, each
 * epoch, whichever of the trained and EMA weights scores better on the eval metric (EMA on ties);
 * `ema` always uses the EMA (timm's behaviour); `raw` always the trained weights.
 */
export type EmaSelection = 'better' | 'ema' | 'raw';

/** Inputs of `train`. */
export interface TrainOptions {
  /** The model to train, already built and initialized (the caller seeds its initializers). */
  model: LayersModel;
  /** Training batches; shuffles/augments deterministically per epoch from its own seed. */
  train: BatchSource;
  /** Validation batches (fixed order, no augmentation). */
  validation: BatchSource;
  /** Hyperparameters. */
  config: TrainerConfig;
  /** Directory for `last/`, `best/`, `epoch-N/` and the resume state; none: no checkpoints. */
  checkpointDir?: string;
  /** Writes a checkpoint directory atomically; required with `checkpointDir`. */
  saveModel?: SaveModelFn;
  /** Continue from the state in `checkpointDir` (if any) at the next epoch. */
  resume?: boolean;
  /** Stops at the end of the current batch, writing `last/`. */
  signal?: AbortSignal;
  /** Starts a progress bar per epoch, counting images (`total` = training images; ticks by batch size). */
  progress?: (total: number, label: string) => ProgressReporter;
  /** Awaited after each epoch, once its checkpoints and state are on disk. */
  onEpochEnd?: (event: EpochEndEvent) => Promise<void> | void;
  /** Receives warnings (EMA horizon, resume decisions) and what was frozen or decayed. */
  logger?: TrainerLogger;
  /** Validation batch size; default the training batch size. */
  evalBatchSize?: number;
  /** Overrides timm's default batch-size scaling rule of `lrBase` (see `resolveLearningRate`). */
  lrScaleRule?: LrScaleRule;
  /** Schedule details not in `TrainConfig`. */
  schedule?: Pick<LrScheduleOptions, 'warmupPrefix' | 'decayEpochs' | 'decayRate'>;
  /** EMA decay warmup `(1 + t) / (10 + t)`; default true. */
  emaWarmup?: boolean;
  /** Which weights are reported and saved when EMA is on; default `better`. */
  emaSelection?: EmaSelection;
  /** Receives sample images and per-epoch weight/gradient distributions (for trackers). */
  observer?: TrainObserver;
  /**
   * Layers `freeze: 'backbone'` leaves trainable (the architecture's `ArchitectureInfo.headLayers`,
   * names or patterns); default `['classifier']`, the head of every built-in architecture.
   */
  headLayers?: readonly string[];
}

/** Outcome of `train`. */
export interface TrainResult {
  /** Epochs completed (including those of an earlier run that was resumed). */
  epochs: number;
  /** Best epoch by the eval metric (0 if none completed). */
  bestEpoch: number;
  /** Metrics of the best epoch. */
  bestMetrics: Record<string, number>;
  /** All completed epochs. */
  history: EpochRecord[];
  /** Training images per second over all training steps. */
  imagesPerSecond: number;
  /** Stopped by early stopping. */
  stoppedEarly: boolean;
  /** Stopped by the abort signal. */
  aborted: boolean;
  /** Peak learning rate and how it was derived. */
  learningRate: ResolvedLearningRate;
}
