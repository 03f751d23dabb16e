import * as tf from '@tensorflow/tfjs-core';
import type { Batch, BatchSource } from '../data/batch-source.js';
import { tfjsErrors } from '../errors.js';
import { batchToTensors, modelInputChannels } from '../evaluate/batch-tensors.js';
import type { ModelEma } from './ema.js';
import type { LrSchedule } from './lr-schedule.js';
import { mixSeed, withSeededMathRandom } from './seeded-random.js';
import { type TrainStepContext, trainStep } from './train-step.js';
import type { ProgressReporter } from './trainer-types.js';

/** What one pass over the training batches needs. */
export interface TrainingEpochContext {
  /** Step machinery (model, params, optimizer, smoothing, clipping). */
  step: TrainStepContext;
  /** The training source. */
  source: BatchSource;
  /** 1-based epoch (passed to the source for its shuffle/augmentation). */
  epoch: number;
  /** Batch size. */
  batchSize: number;
  /** Learning rate per global step. */
  schedule: LrSchedule;
  /** Global step of the first batch. */
  firstStep: number;
  /** Seed of the dropout streams. */
  seed: number;
  /** EMA updated after every step. */
  ema: ModelEma | undefined;
  /** Weights of frozen layers: their EMA shadows are left alone (see `ModelEma.update`). */
  frozenWeights?: ReadonlySet<tf.Variable>;
  /** Progress bar of the epoch, in images (ticked by each batch's size). */
  bar: ProgressReporter | undefined;
  /** Checked after every batch. */
  signal: AbortSignal | undefined;
  /** Keep the gradients of these variables (by `tf.Variable.name`) from the epoch's first batch. */
  captureGradients?: readonly string[];
  /** Receives the epoch's first batch before it is trained on (the callee copies what it keeps). */
  onFirstBatch?: (batch: Batch) => void;
}

/** Totals of one training pass. */
export interface TrainingEpochTotals {
  /** Global step after the last batch. */
  globalStep: number;
  /** Optimizer steps taken. */
  steps: number;
  /** Images trained on. */
  images: number;
  /** Σ batch loss × batch size. */
  lossSum: number;
  /** Correct training predictions. */
  correct: number;
  /** Σ gradient norm (before clipping). */
  gradNormSum: number;
  /** Learning rate of the last step. */
  lastLr: number;
  /** Milliseconds in training steps, including waits for the next batch (the pipeline's cost). */
  trainMs: number;
  /** Stopped early by the signal. */
  aborted: boolean;
  /** The captured gradients (see `captureGradients`), by variable name. */
  gradients: Map<string, Float32Array>;
}

/**
 * One pass over the training batches: per batch, set the scheduled learning rate, run a
 * {@link trainStep} under a `Math.random` seeded by `(seed, globalStep)` (reproducible dropout,
 * see `seeded-random`), update the EMA, tick the bar by the batch's images with the running loss.
 * Stops after the current batch when the signal is aborted. Every tensor it creates is disposed
 * before the next batch.
 */
export async function runTrainingEpoch(context: TrainingEpochContext): Promise<TrainingEpochTotals> {
  const { step, source, schedule, ema, bar, signal } = context;
  const modelChannels = modelInputChannels(step.model);
  const totals: TrainingEpochTotals = {
    globalStep: context.firstStep,
    steps: 0,
    images: 0,
    lossSum: 0,
    correct: 0,
    gradNormSum: 0,
    lastLr: schedule.lrAt(context.firstStep),
    trainMs: 0,
    aborted: false,
    gradients: new Map(),
  };
  let stepStart = performance.now();
  for await (const batch of source.batches(context.epoch, context.batchSize)) {
    if (batch.n === 0) continue;
    const first = totals.steps === 0;
    if (first) context.onFirstBatch?.(batch);
    const lr = schedule.lrAt(totals.globalStep);
    step.optimizer.learningRate = lr;
    const { x, y } = batchToTensors(batch, source.shape, { modelChannels, numClasses: source.numClasses });
    let result: ReturnType<typeof trainStep>;
    try {
      const capture = first ? context.captureGradients : undefined;
      result = withSeededMathRandom(mixSeed(context.seed, totals.globalStep), () =>
        trainStep(step, x, y, capture),
      );
    } finally {
      tf.dispose([x, y]);
    }
    if (result.gradients) {
      const captured = Object.entries(result.gradients);
      const values = await Promise.all(captured.map(([, grad]) => grad.data<'float32'>()));
      tf.dispose(captured.map(([, grad]) => grad));
      for (const [i, [name]] of captured.entries()) totals.gradients.set(name, values[i] as Float32Array);
    }
    const [loss, correct, gradNorm] = await Promise.all([
      result.loss.data(),
      result.correct.data(),
      result.gradNorm.data(),
    ]);
    tf.dispose([result.loss, result.correct, result.gradNorm]);
    if (!Number.isFinite(loss[0]!)) {
      throw tfjsErrors.create(
        'MLOPS_TFJS_ERR_TRAINING_DIVERGED',
        `Training diverged: loss ${loss[0]} at epoch ${context.epoch}, step ${totals.globalStep} (lower the learning rate or set gradClip)`,
      );
    }
    ema?.update(context.frozenWeights);
    totals.globalStep += 1;
    totals.steps += 1;
    totals.images += batch.n;
    totals.lossSum += loss[0]! * batch.n;
    totals.correct += correct[0]!;
    totals.gradNormSum += gradNorm[0]!;
    totals.lastLr = lr;
    totals.trainMs += performance.now() - stepStart;
    bar?.tick(batch.n, `loss ${(totals.lossSum / totals.images).toFixed(4)} lr ${lr.toExponential(2)}`);
    if (signal?.aborted) {
      totals.aborted = true;
      break;
    }
    stepStart = performance.now();
  }
  return totals;
}
