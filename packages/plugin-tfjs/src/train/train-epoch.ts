import * as tf from '@tensorflow/tfjs-core';
import type { Batch, BatchSource } from '../data/batch-source.js';
import { tfjsErrors } from '../errors.js';
import { batchToTensors, modelInputChannels } from '../evaluate/batch-tensors.js';
import type { ModelEma } from './ema.js';
import type { LrSchedule } from './lr-schedule.js';
import { mixSeed, withSeededMathRandom } from './seeded-random.js';
import { type TrainStepContext, type TrainStepTensors, trainStep } from './train-step.js';
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
  /** Milliseconds of the pass: steps, waits for the next batch (the pipeline's cost) and reads. */
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
 * by the end of the next batch.
 *
 * A step's loss, accuracy and gradient norm are read back in one transfer and awaited after the
 * next step has been recorded (the bar and the divergence check run one step behind), so an
 * asynchronous backend never idles between steps. The weights are the same as reading each step
 * at once: the same operations run in the same order, only the host waits elsewhere. A diverged
 * step is reported by its own step number, after at most one more step has been dispatched.
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
  const epochStart = performance.now();
  // The step whose metrics are still on their way back: read one step late, so the device runs
  // step N while step N+1 is recorded (see `StepMetricsInFlight`).
  let inFlight: StepMetricsInFlight | undefined;
  let recordedImages = 0;
  const record = async (step: StepMetricsInFlight): Promise<void> => {
    const [loss, correct, gradNorm] = await step.values;
    if (!Number.isFinite(loss)) {
      throw tfjsErrors.create(
        'MLOPS_TFJS_ERR_TRAINING_DIVERGED',
        `Training diverged: loss ${loss} at epoch ${context.epoch}, step ${step.globalStep} (lower the learning rate or set gradClip)`,
      );
    }
    totals.lossSum += loss * step.n;
    totals.correct += correct;
    totals.gradNormSum += gradNorm;
    recordedImages += step.n;
    bar?.tick(step.n, `loss ${(totals.lossSum / recordedImages).toFixed(4)} lr ${step.lr.toExponential(2)}`);
  };
  try {
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
      // Recorded right behind the step, before any wait: same operations in the same order as
      // reading the metrics first, so the weights do not depend on when they are read.
      ema?.update(context.frozenWeights);
      const current = readStepMetrics(result, { globalStep: totals.globalStep, n: batch.n, lr });
      if (result.gradients) {
        const captured = Object.entries(result.gradients);
        const values = await Promise.all(captured.map(([, grad]) => grad.data<'float32'>()));
        tf.dispose(captured.map(([, grad]) => grad));
        for (const [i, [name]] of captured.entries()) totals.gradients.set(name, values[i] as Float32Array);
      }
      totals.globalStep += 1;
      totals.steps += 1;
      totals.images += batch.n;
      totals.lastLr = lr;
      const previous = inFlight;
      inFlight = current;
      if (previous) await record(previous);
      if (signal?.aborted) {
        totals.aborted = true;
        break;
      }
    }
    const last = inFlight;
    inFlight = undefined;
    if (last) await record(last);
  } finally {
    // Thrown out of the loop (a diverged step, a failing source): let the read in flight settle,
    // so its rejection is not unhandled; its tensor is already disposed.
    await inFlight?.values.catch(() => undefined);
  }
  totals.trainMs = performance.now() - epochStart;
  return totals;
}

/** One step's metrics on their way back to the host. */
export interface StepMetricsInFlight {
  /** Loss, correct predictions and gradient norm, once read. */
  values: Promise<[loss: number, correct: number, gradNorm: number]>;
  /** Global step of the step (for the divergence error). */
  globalStep: number;
  /** Images of its batch. */
  n: number;
  /** Its learning rate (for the bar). */
  lr: number;
}

/**
 * Starts reading a step's loss, correct count and gradient norm as one float32 [3] tensor — one
 * readback instead of three (the count is at most the batch size, exact in float32) — and
 * disposes the step's scalars. The read is awaited one step later: on an asynchronous backend
 * (`webgpu`) the device runs this step while the next one is recorded; on `cpu`/`wasm` the values
 * are ready at once and nothing changes but the order of bookkeeping.
 */
export function readStepMetrics(
  result: TrainStepTensors,
  step: Omit<StepMetricsInFlight, 'values'>,
): StepMetricsInFlight {
  const packed = tf.tidy(() => tf.stack([result.loss, tf.cast(result.correct, 'float32'), result.gradNorm]));
  tf.dispose([result.loss, result.correct, result.gradNorm]);
  const values = packed.data<'float32'>().then(
    (v) => {
      packed.dispose();
      return [v[0]!, v[1]!, v[2]!] as [number, number, number];
    },
    (err: unknown) => {
      packed.dispose();
      throw err;
    },
  );
  return { ...step, values };
}
