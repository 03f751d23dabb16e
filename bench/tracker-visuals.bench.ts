/**
 * Cost of what the tfjs engine sends to trackers (plugin-tfjs `logImages` / `logHistograms`),
 * against an epoch of the example project (examples/image-classifier/configs/default.yaml:
 * fast_cnn, 28×28×1, batch 128, AdamW, label smoothing 0.1; Fashion-MNIST's 60,000 training
 * images = 469 steps per epoch), on the wasm backend:
 *
 * - `stepMs`: a plain train step (median of the timed steps, after 2 warm-up steps);
 * - `gradientCaptureMs`: what one step costs more when it keeps and reads back every kernel's
 *   gradient (done once per epoch, on its first batch);
 * - `weightsAndHistogramsMs`: reading every kernel back and sending weights/ + gradients/
 *   histograms to a real LocalTracker (which bins them), once per epoch;
 * - `sampleGridMs`: rendering the 8×8 grid of a batch and sending it (once per run);
 * - `evaluationImagesMs`: confusion heatmap + ROC plot for 10 classes (once per run, evaluate).
 *
 * `overheadPercentOfEpoch` = (gradientCaptureMs + weightsAndHistogramsMs + sampleGridMs) /
 * (469 × stepMs): validation and data loading are left out of the epoch, so it is an upper bound.
 *
 *   npx jiti bench/tracker-visuals.bench.ts [--quick] [--steps 10]
 *
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { LocalTracker } from '../packages/core/src/tracker/local-tracker.js';
import { selectBackend } from '../packages/plugin-tfjs/src/backend/select-backend.js';
import { logEvaluationImages } from '../packages/plugin-tfjs/src/engine/evaluation-images.js';
import { trackerObserver } from '../packages/plugin-tfjs/src/engine/tracker-observer.js';
import { buildModel } from '../packages/plugin-tfjs/src/models/index.js';
import { createOptimizer } from '../packages/plugin-tfjs/src/train/create-optimizer.js';
import { kernelVariables } from '../packages/plugin-tfjs/src/train/kernel-variables.js';
import { trainableVariables } from '../packages/plugin-tfjs/src/train/model-variables.js';
import { trainStep } from '../packages/plugin-tfjs/src/train/train-step.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const stepsArg = args.indexOf('--steps');
const STEPS = stepsArg >= 0 ? Number(args[stepsArg + 1]) : quick ? 3 : 10;
const BATCH = 128;
const SIZE = 28;
const CLASSES = 10;
const STEPS_PER_EPOCH = Math.ceil(60_000 / BATCH);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function main(): Promise<void> {
  const backend = await selectBackend('wasm');
  const model = buildModel('fast_cnn', {
    numClasses: CLASSES,
    inputSize: SIZE,
    inputChannels: 1,
    dropout: 0.2,
    seed: 42,
  });
  const params = trainableVariables(model);
  const optimizer = createOptimizer(
    { optimizer: 'adamw', betas: [0.9, 0.999], weightDecay: 0.05, momentum: 0.9 },
    params,
    0.003,
  );
  const xData = Float32Array.from({ length: BATCH * SIZE * SIZE }, () => Math.random() * 2 - 1);
  const yData = Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES);
  const x = tf.tensor4d(xData, [BATCH, SIZE, SIZE, 1]);
  const y = tf.tensor1d(yData, 'int32');
  const kernels = kernelVariables(model);
  const names = kernels.map((k) => k.variable.name);
  const context = { model, params, optimizer, labelSmoothing: 0.1, gradClip: 0 };

  /** One step as runTrainingEpoch runs it; with `capture`, also the gradients kept and read back. */
  const step = async (capture: boolean): Promise<number> => {
    const start = performance.now();
    const result = trainStep(context, x, y, capture ? names : undefined);
    await Promise.all([result.loss.data(), result.correct.data(), result.gradNorm.data()]);
    tf.dispose([result.loss, result.correct, result.gradNorm]);
    if (result.gradients) {
      const grads = Object.values(result.gradients);
      await Promise.all(grads.map((g) => g.data()));
      tf.dispose(grads);
    }
    return performance.now() - start;
  };

  process.stderr.write(
    `tracker-visuals: ${backend.name}, fast_cnn ${SIZE}px batch ${BATCH}, ${STEPS} steps each\n`,
  );
  await step(false);
  await step(true);
  // Interleaved, so load changes hit both alike.
  const plain: number[] = [];
  const captured: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    plain.push(await step(false));
    captured.push(await step(true));
  }
  const stepMs = median(plain);
  const gradientCaptureMs = Math.max(0, median(captured) - stepMs);

  const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-tracker-'));
  const tracker = new LocalTracker({ dir, writeReport: false });
  await tracker.start({ id: 'bench', project: 'bench', config: {}, dir });
  const observer = trackerObserver(tracker, {
    images: true,
    histograms: true,
    classes: Array.from({ length: CLASSES }, (_, i) => `class ${i}`),
  });
  const gradients = new Map<string, Float32Array>();
  for (const k of kernels) gradients.set(k.key, new Float32Array(k.variable.size));

  const histogramTimes: number[] = [];
  for (let epoch = 1; epoch <= Math.max(3, STEPS / 2); epoch++) {
    const start = performance.now();
    const values = await Promise.all(kernels.map((k) => k.variable.data<'float32'>()));
    const weights = new Map(kernels.map((k, i) => [k.key, values[i] as Float32Array]));
    observer?.onDistributions?.({ epoch, weights, gradients });
    histogramTimes.push(performance.now() - start);
  }
  const weightsAndHistogramsMs = median(histogramTimes);

  const gridStart = performance.now();
  observer?.onSamples?.({ x: xData, y: yData, n: BATCH }, { height: SIZE, width: SIZE, channels: 1 }, 1);
  const sampleGridMs = performance.now() - gridStart;

  const matrix = Array.from({ length: CLASSES }, (_, r) =>
    Array.from({ length: CLASSES }, (_, c) => (r === c ? 900 : 11)),
  );
  const roc = Array.from({ length: CLASSES }, (_, k) => {
    const fpr = Array.from({ length: 1001 }, (_, i) => i / 1000);
    return { label: `class ${k}`, auc: 0.95, fpr, tpr: fpr.map((f) => Math.min(1, Math.sqrt(f) * 1.1)) };
  });
  const evalStart = performance.now();
  logEvaluationImages(tracker, {
    split: 'test',
    classes: matrix.map((_, i) => `class ${i}`),
    confusionMatrix: matrix,
    roc,
  });
  const evaluationImagesMs = performance.now() - evalStart;
  await tracker.finish('succeeded');
  await rm(dir, { recursive: true, force: true });

  const epochMs = STEPS_PER_EPOCH * stepMs;
  const perEpochMs = gradientCaptureMs + weightsAndHistogramsMs;
  const round = (v: number, d = 2): number => Number(v.toFixed(d));
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'tracker-visuals',
        backend: backend.name,
        loadAverage: loadavg().map((v) => round(v)),
        settings: {
          arch: 'fast_cnn',
          inputSize: SIZE,
          batch: BATCH,
          stepsPerEpoch: STEPS_PER_EPOCH,
          timedSteps: STEPS,
        },
        kernels: kernels.length,
        kernelValues: kernels.reduce((sum, k) => sum + k.variable.size, 0),
        stepMs: round(stepMs),
        gradientCaptureMs: round(gradientCaptureMs),
        weightsAndHistogramsMs: round(weightsAndHistogramsMs),
        sampleGridMs: round(sampleGridMs),
        evaluationImagesMs: round(evaluationImagesMs),
        epochMsEstimate: Math.round(epochMs),
        overheadPercentOfEpoch: round((100 * (perEpochMs + sampleGridMs)) / epochMs, 3),
        overheadPercentOfEpochWithoutGrid: round((100 * perEpochMs) / epochMs, 3),
      },
      null,
      2,
    )}\n`,
  );
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
