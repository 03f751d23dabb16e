import type { EpochEndEvent, Progress, TrainConfig } from '@mlops/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BatchSource } from '../data/batch-source.js';
import type { LrScaleRule, LrScheduleOptions, ResolvedLearningRate } from './lr-schedule.js';
import type { TrainObserver } from './train-observer.js';
import type { EpochRecord } from './trainer-state.js';

/**
 * The fields of core's `TrainConfig` the trainer uses (augmentation and backend belong to other
 * parts), so a resolved `TrainConfig` is passed as is. `schedOnUpdates` may be unset: the schedule
 * then moves every step, the trainer's behaviour before the key existed.
 */
export type TrainerConfig = Pick<
  TrainConfig,
  | 'epochs'
  | 'batchSize'
  | 'lr'
  | 'lrBase'
  | 'lrBaseSize'
  | 'optimizer'
  | 'betas'
  | 'weightDecay'
  | 'momentum'
  | 'scheduler'
  | 'warmupEpochs'
  | 'warmupLr'
  | 'minLr'
  | 'threads'
  | 'labelSmoothing'
  | 'ema'
  | 'gradClip'
  | 'seed'
  | 'earlyStopping'
  | 'evalMetric'
  | 'checkpointHistory'
  | 'freeze'
  | 'unfreezeAfterEpochs'
  | 'layerDecay'
> &
  Partial<Pick<TrainConfig, 'schedOnUpdates'>>;

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
