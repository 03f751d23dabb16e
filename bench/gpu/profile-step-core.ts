/**
 * The measurement of `profile-step.bench.ts`, free of Node APIs so it also runs in a browser page
 * (headless Chromium's WebGPU): per training step, the tfjs kernel invocations and — on WebGPU —
 * compute dispatches, buffer creations, uploads, readbacks, copies and submits
 * (`installStepCounters`), and where the time goes: forward, backward, gradient norm (+ clipping),
 * optimizer, EMA, metrics (loss/accuracy/norm read back).
 *
 * Two passes per mode:
 * - `phases`: each phase followed by a wait for the device (`syncDevice`), so its time and counts
 *   are its own. Forward is run alone, then forward + backward through `tf.variableGrads`; backward
 *   is the difference. The waits serialize the GPU, so these times add up to more than a step.
 * - `step`: the step as the trainer runs it (`trainStep`, `ModelEma.update`, loss, correct count
 *   and norm in one readback awaited one step late, as `runTrainingEpoch`), nothing else: its time
 *   is the real step time.
 *
 * Modes: `fused` (the backend's fused optimizer/norm/clip/EMA and training BatchNorm kernels
 * registered, as training runs), `fused-no-bn` (only the BatchNorm kernels unregistered: tfjs-layers'
 * composite) and `unfused` (all of them unregistered, so the trainer falls back to tfjs ops): the
 * ratios are what each buys on this backend, measured in the same run.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
} from '../../packages/plugin-tfjs/src/backend/wasm-kernels/batch-norm-train.js';
import {
  ADAMW_UPDATE,
  SUM_OF_SQUARES,
} from '../../packages/plugin-tfjs/src/backend/wasm-kernels/optimizer-kernels.js';
import {
  CLIP_BY_GLOBAL_NORM,
  EMA_UPDATE,
} from '../../packages/plugin-tfjs/src/backend/webgpu/kernel-names.js';
import {
  diffCounts,
  installStepCounters,
  type StepCounts,
} from '../../packages/plugin-tfjs/src/backend/webgpu/step-counters.js';
import { buildModel } from '../../packages/plugin-tfjs/src/models/registry.js';
import {
  createOptimizer,
  type OptimizerConfig,
} from '../../packages/plugin-tfjs/src/train/create-optimizer.js';
import { ModelEma } from '../../packages/plugin-tfjs/src/train/ema.js';
import { clipByGlobalNorm } from '../../packages/plugin-tfjs/src/train/grad-clip.js';
import { countCorrect, softmaxCrossEntropy } from '../../packages/plugin-tfjs/src/train/loss.js';
import { modelVariables, trainableVariables } from '../../packages/plugin-tfjs/src/train/model-variables.js';
import {
  readStepMetrics,
  type StepMetricsInFlight,
} from '../../packages/plugin-tfjs/src/train/train-epoch.js';
import { trainStep } from '../../packages/plugin-tfjs/src/train/train-step.js';
import { median } from '../lib/stats.js';

/**
 * The fused kernels a backend may register; `unfused` mode removes them for its run (the training
 * BatchNorm kernels included: without them tfjs-layers' composite runs).
 */
/** The training BatchNorm kernels: `fused-no-bn` mode removes only these. */
export const BATCH_NORM_KERNELS = [BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD];

export const FUSED_KERNELS = [
  ADAMW_UPDATE,
  SUM_OF_SQUARES,
  CLIP_BY_GLOBAL_NORM,
  EMA_UPDATE,
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
];

/** What to profile. */
export interface ProfileOptions {
  /** Architecture (zoo name). */
  arch: string;
  /** Input size (px). */
  size: number;
  /** Batch size. */
  batch: number;
  /** Measured steps per pass (after `warmup`). */
  steps: number;
  /** Unmeasured steps first (pipeline compilation, buffer pools). */
  warmup: number;
  /** Max global gradient norm (timm `--clip-grad`); 0 disables clipping. */
  gradClip: number;
  /** EMA decay; 0 disables the EMA. */
  emaDecay: number;
  /** Modes to run, in order. */
  modes: ('fused' | 'fused-no-bn' | 'unfused')[];
  /** Rounds over the modes, alternating their order (default 1). */
  rounds?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Settings per architecture, as the example configs (the train-throughput bench's). */
export const ARCHS: Record<string, { channels: number; dropout: number; optimizer: OptimizerConfig }> = {
  small_cnn: {
    channels: 1,
    dropout: 0.3,
    optimizer: { optimizer: 'adamw', betas: [0.9, 0.999], weightDecay: 0.05, momentum: 0.9 },
  },
  mobilenetv4_conv_small: {
    channels: 3,
    dropout: 0.25,
    optimizer: { optimizer: 'adamw', betas: [0.6, 0.995], weightDecay: 0.06, momentum: 0.9 },
  },
};

/** Names of the timed phases. */
export const PHASES = ['forward', 'backward', 'norm', 'optimizer', 'ema', 'metrics'] as const;
type Phase = (typeof PHASES)[number];

/** Waits until the device has finished everything recorded so far (a no-op on synchronous backends). */
export async function syncDevice(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const backend = tf.backend() as unknown as {
    commandEncoder: unknown;
    endComputePassEncoder(): void;
    submitQueue(): void;
    queue: { onSubmittedWorkDone(): Promise<void> };
  };
  // As tfjs does before every submit: an open compute pass would invalidate the command buffer.
  if (backend.commandEncoder != null) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  await backend.queue.onSubmittedWorkDone();
}

const round = (v: number, digits = 4): number => Number(v.toPrecision(digits));

/** Per-step averages of counts over `steps` steps (kernel names: total per step). */
function perStep(counts: StepCounts, steps: number) {
  const per = (v: number | null) => (v === null ? null : round(v / steps));
  const topKernels = Object.entries(counts.kernelsByName)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([name, n]) => [name, round(n / steps)] as const);
  return {
    kernels: per(counts.kernels),
    dispatches: per(counts.dispatches),
    bufferCreations: per(counts.bufferCreations),
    uploads: per(counts.uploads),
    uploadBytes: per(counts.uploadBytes),
    readbacks: per(counts.readbacks),
    copies: per(counts.copies),
    submits: per(counts.submits),
    topKernels: Object.fromEntries(topKernels),
  };
}

/** Runs `fn` with kernels `names` of the active backend unregistered, restoring them after. */
async function withoutKernels<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
  const backend = tf.getBackend();
  const saved = names.map((name) => tf.getKernel(name, backend)).filter((k) => k != null);
  for (const config of saved) tf.unregisterKernel(config.kernelName, backend);
  try {
    return await fn();
  } finally {
    for (const config of saved) tf.registerKernel(config);
  }
}

async function profileMode(options: ProfileOptions) {
  const log = options.log ?? (() => {});
  const settings = ARCHS[options.arch];
  if (!settings)
    throw new Error(`profile-step: unknown --arch ${options.arch} (${Object.keys(ARCHS).join(', ')})`);
  const model = buildModel(options.arch, {
    numClasses: 10,
    inputSize: options.size,
    inputChannels: settings.channels,
    dropout: settings.dropout,
    seed: 42,
  });
  const params = trainableVariables(model);
  const optimizer = createOptimizer(settings.optimizer, params, 1e-3);
  const ema =
    options.emaDecay > 0 ? new ModelEma(modelVariables(model), { decay: options.emaDecay }) : undefined;
  const x = tf.randomNormal([options.batch, options.size, options.size, settings.channels]);
  const y = tf.tensor1d(
    Array.from({ length: options.batch }, (_, i) => i % 10),
    'int32',
  );
  const context = { model, params, optimizer, labelSmoothing: 0.1, gradClip: options.gradClip };
  // As `runTrainingEpoch`: the metrics in one readback, awaited after the next step is recorded.
  let inFlight: StepMetricsInFlight | undefined;
  const step = async (): Promise<number> => {
    const r = trainStep(context, x, y);
    ema?.update();
    const previous = inFlight;
    inFlight = readStepMetrics(r, { globalStep: 0, n: options.batch, lr: 0 });
    return previous ? (await previous.values)[0] : Number.NaN;
  };
  const drain = async (): Promise<number> => {
    const last = inFlight;
    inFlight = undefined;
    return last ? (await last.values)[0] : Number.NaN;
  };
  const counters = installStepCounters();
  try {
    for (let i = 0; i < options.warmup; i++) await step();
    await drain();
    await syncDevice();

    // The step as trained.
    counters.reset();
    const stepTimes: number[] = [];
    let loss = Number.NaN;
    for (let i = 0; i < options.steps; i++) {
      const t0 = performance.now();
      await step();
      stepTimes.push(performance.now() - t0);
    }
    loss = await drain();
    await syncDevice();
    const stepCounts = counters.snapshot();

    // Phase by phase, each waited for.
    const times: Record<Phase, number[]> = {
      forward: [],
      backward: [],
      norm: [],
      optimizer: [],
      ema: [],
      metrics: [],
    };
    const counts: Partial<Record<Phase, StepCounts>> = {};
    const add = (phase: Phase, c: StepCounts) => {
      const prev = counts[phase];
      counts[phase] = prev ? addCounts(prev, c) : c;
    };
    const lossOf = (logits: tf.Tensor) => softmaxCrossEntropy(logits, y, 0.1) as tf.Scalar;
    for (let i = 0; i < options.steps; i++) {
      let before = counters.snapshot();
      let t0 = performance.now();
      const forwardLoss = tf.tidy(() => lossOf(model.apply(x, { training: true }) as tf.Tensor));
      await syncDevice();
      const forwardMs = performance.now() - t0;
      const forwardCounts = diffCounts(counters.snapshot(), before);
      times.forward.push(forwardMs);
      add('forward', forwardCounts);
      forwardLoss.dispose();

      before = counters.snapshot();
      t0 = performance.now();
      let logits: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const out = model.apply(x, { training: true }) as tf.Tensor;
        logits = tf.keep(out);
        return lossOf(out);
      }, params as tf.Variable[]);
      await syncDevice();
      times.backward.push(Math.max(0, performance.now() - t0 - forwardMs));
      const both = diffCounts(counters.snapshot(), before);
      add('backward', diffCounts(both, forwardCounts));

      before = counters.snapshot();
      t0 = performance.now();
      const clipped = clipByGlobalNorm(grads, options.gradClip);
      await syncDevice();
      times.norm.push(performance.now() - t0);
      add('norm', diffCounts(counters.snapshot(), before));

      before = counters.snapshot();
      t0 = performance.now();
      optimizer.applyGradients(clipped.grads);
      await syncDevice();
      times.optimizer.push(performance.now() - t0);
      add('optimizer', diffCounts(counters.snapshot(), before));

      before = counters.snapshot();
      t0 = performance.now();
      ema?.update();
      await syncDevice();
      times.ema.push(performance.now() - t0);
      add('ema', diffCounts(counters.snapshot(), before));

      before = counters.snapshot();
      t0 = performance.now();
      const correct = countCorrect(logits!, y);
      await Promise.all([value.data(), correct.data(), clipped.norm.data()]);
      times.metrics.push(performance.now() - t0);
      add('metrics', diffCounts(counters.snapshot(), before));
      tf.dispose([
        value,
        correct,
        clipped.norm,
        logits!,
        ...Object.values(grads),
        ...Object.values(clipped.grads),
      ]);
    }
    const stepMs = median(stepTimes);
    log(`  step ${round(stepMs)} ms, ${stepCounts.kernels / options.steps} kernels/step`);
    return {
      params: model.countParams(),
      variables: params.length,
      emaVariables: ema ? modelVariables(model).length : 0,
      finalLoss: round(loss),
      step: {
        msMedian: round(stepMs),
        ms: stepTimes.map((t) => round(t)),
        imgPerSec: round((options.batch * 1000) / stepMs),
        ...perStep(stepCounts, options.steps),
      },
      phases: Object.fromEntries(
        PHASES.map((phase) => [
          phase,
          {
            msMedian: round(median(times[phase])),
            ...(counts[phase] ? perStep(counts[phase]!, options.steps) : {}),
          },
        ]),
      ),
    };
  } finally {
    counters.uninstall();
    tf.dispose([x, y]);
    ema?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

function addCounts(a: StepCounts, b: StepCounts): StepCounts {
  const sum = (p: number | null, q: number | null) => (p === null || q === null ? null : p + q);
  const kernelsByName = { ...a.kernelsByName };
  for (const [k, n] of Object.entries(b.kernelsByName)) kernelsByName[k] = (kernelsByName[k] ?? 0) + n;
  return {
    kernels: a.kernels + b.kernels,
    kernelsByName,
    dispatches: sum(a.dispatches, b.dispatches),
    bufferCreations: sum(a.bufferCreations, b.bufferCreations),
    uploads: a.uploads + b.uploads,
    uploadBytes: a.uploadBytes + b.uploadBytes,
    readbacks: a.readbacks + b.readbacks,
    copies: sum(a.copies, b.copies),
    submits: sum(a.submits, b.submits),
  };
}

/**
 * Profiles the step on the active backend in each mode; `ratios` compares the fused mode with the
 * unfused one when both ran (step time and per-step counts: unfused / fused).
 */
export async function profileStep(options: ProfileOptions) {
  const log = options.log ?? (() => {});
  const backend = tf.getBackend();
  const registered = FUSED_KERNELS.filter((name) => tf.getKernel(name, backend) != null);
  type ModeResult = Awaited<ReturnType<typeof profileMode>>;
  const runs: Record<string, ModeResult[]> = {};
  const rounds = options.rounds ?? 1;
  for (let r = 0; r < rounds; r++) {
    // Alternating order, so that drifting load on a shared machine hits both modes alike.
    for (const mode of r % 2 === 0 ? options.modes : [...options.modes].reverse()) {
      log(
        `${backend} ${options.arch}@${options.size} batch ${options.batch}: ${mode} (round ${r + 1}/${rounds})`,
      );
      const result =
        mode === 'fused'
          ? await profileMode(options)
          : await withoutKernels(mode === 'unfused' ? FUSED_KERNELS : BATCH_NORM_KERNELS, () =>
              profileMode(options),
            );
      runs[mode] = [...(runs[mode] ?? []), result];
    }
  }
  // The first round's details, with the step and phase times of every round.
  const modes = Object.fromEntries(
    Object.entries(runs).map(([mode, results]) => {
      const first = results[0]!;
      const stepMs = results.flatMap((x) => x.step.ms);
      return [
        mode,
        {
          ...first,
          allRounds: {
            rounds: results.length,
            stepMs,
            stepMsMedian: round(median(stepMs)),
            phaseMsMedian: Object.fromEntries(
              PHASES.map((phase) => [phase, round(median(results.map((x) => x.phases[phase]!.msMedian)))]),
            ),
          },
        },
      ];
    }),
  );
  const fused = modes.fused;
  const unfused = modes.unfused;
  const noBatchNorm = modes['fused-no-bn'];
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a == null || b == null || b === 0 ? null : round(a / b, 3);
  return {
    backend,
    fusedKernelsRegistered: registered,
    settings: {
      arch: options.arch,
      size: options.size,
      batch: options.batch,
      steps: options.steps,
      warmup: options.warmup,
      rounds,
      gradClip: options.gradClip,
      emaDecay: options.emaDecay,
    },
    modes,
    ratios:
      fused && unfused
        ? {
            note: 'unfused / fused (> 1: fusion helps)',
            stepMs: ratio(unfused.allRounds.stepMsMedian, fused.allRounds.stepMsMedian),
            kernelsPerStep: ratio(unfused.step.kernels, fused.step.kernels),
            dispatchesPerStep: ratio(unfused.step.dispatches, fused.step.dispatches),
            optimizerMs: ratio(
              unfused.allRounds.phaseMsMedian.optimizer,
              fused.allRounds.phaseMsMedian.optimizer,
            ),
            normMs: ratio(unfused.allRounds.phaseMsMedian.norm, fused.allRounds.phaseMsMedian.norm),
            emaMs: ratio(unfused.allRounds.phaseMsMedian.ema, fused.allRounds.phaseMsMedian.ema),
          }
        : undefined,
    batchNormRatios:
      fused && noBatchNorm
        ? {
            note: 'fused-no-bn / fused (> 1: the training BatchNorm kernels help)',
            stepMs: ratio(noBatchNorm.allRounds.stepMsMedian, fused.allRounds.stepMsMedian),
            kernelsPerStep: ratio(noBatchNorm.step.kernels, fused.step.kernels),
            dispatchesPerStep: ratio(noBatchNorm.step.dispatches, fused.step.dispatches),
            forwardMs: ratio(
              noBatchNorm.allRounds.phaseMsMedian.forward,
              fused.allRounds.phaseMsMedian.forward,
            ),
            backwardMs: ratio(
              noBatchNorm.allRounds.phaseMsMedian.backward,
              fused.allRounds.phaseMsMedian.backward,
            ),
          }
        : undefined,
  };
}
