/**
 * Checks the fused WebGPU training kernels against tfjs's reference `cpu` backend through the
 * trainer's own code paths (`AdamW.applyGradients`, `globalNorm`, `clipByGlobalNorm`,
 * `ModelEma.update`, `trainStep`): the same inputs on both backends, values read back with the
 * async `data()` and compared as the backend-parity bench does — max |Δ| relative to the
 * reference tensor's largest magnitude, within 1e-3 (losses within 1e-2).
 *
 * Runs wherever both backends are registered: the device machine (Node + Dawn,
 * `bench/gpu/fused-parity.bench.ts`) and headless Chromium with SwiftShader's WebGPU here
 * (`packages/plugin-tfjs/test/backend/webgpu-fused.test.ts`). It also proves the fused kernels
 * really ran: each case counts its kernel invocations on the GPU backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { buildModel } from '../../models/registry.js';
import { AdamW } from '../../train/adamw.js';
import { ModelEma } from '../../train/ema.js';
import { clipByGlobalNorm, globalNorm } from '../../train/grad-clip.js';
import { modelVariables, trainableVariables } from '../../train/model-variables.js';
import type { NamedArray } from '../../train/named-arrays.js';
import { trainStep } from '../../train/train-step.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../wasm-kernels/batch-norm-train.js';
import { ADAMW_UPDATE, SUM_OF_SQUARES } from '../wasm-kernels/optimizer-kernels.js';
import { overrideFusionLimits } from './fused-kernels.js';
import type { FusionLimits } from './fusion-plan.js';
import { CLIP_BY_GLOBAL_NORM, EMA_UPDATE } from './kernel-names.js';
import { installStepCounters } from './step-counters.js';

/** Options of {@link checkFusedKernels}. */
export interface FusedParityOptions {
  /** Backend under test; default `webgpu`. */
  backend?: string;
  /** Reference backend; default `cpu`. */
  reference?: string;
  /** Relative tolerance of tensors; default 1e-3 (the backend-parity bench's). */
  tolerance?: number;
  /** Training steps of the whole-model case; default 3 (0 skips it). */
  trainSteps?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** One compared case. */
export interface FusedParityCase {
  /** What was compared. */
  name: string;
  /** Worst relative error over the case's tensors. */
  maxRelativeError: number;
  /** Whether it is within tolerance and the fused kernels ran. */
  ok: boolean;
  /** Fused kernel invocations on the backend under test (by name). */
  fusedKernels: Record<string, number>;
  /** Extra detail (e.g. losses). */
  detail?: Record<string, unknown>;
}

/** The report of {@link checkFusedKernels}. */
export interface FusedParityReport {
  /** Backend under test. */
  backend: string;
  /** Reference backend. */
  reference: string;
  /** Tensor tolerance used. */
  tolerance: number;
  /** All cases passed. */
  ok: boolean;
  /** The cases. */
  cases: FusedParityCase[];
}

/** Kernels counted per case (the training BatchNorm ones run inside the whole-model case). */
const FUSED = [
  ADAMW_UPDATE,
  SUM_OF_SQUARES,
  CLIP_BY_GLOBAL_NORM,
  EMA_UPDATE,
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
];

/** Tensor shapes of the optimizer cases: odd sizes, tile boundaries, matrices (decayed) and vectors. */
const SHAPES: number[][] = [
  [3, 3, 3, 16],
  [16],
  [16],
  [1],
  [1023],
  [1024],
  [1025],
  [5, 5, 16, 32],
  [32],
  [7, 300],
  [4097],
  [2, 2, 64, 64],
];

/** Deterministic values in [offset - scale, offset + scale) (a linear congruential generator). */
export function seeded(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return offset + (state / 2 ** 32 - 0.5) * 2 * scale;
  });
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** max |a − b| / max(max |b|, floor). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-12): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= diff)) diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

function worst(actual: readonly ArrayLike<number>[], expected: readonly ArrayLike<number>[]): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  return Math.max(0, ...actual.map((a, i) => relativeError(a, expected[i]!)));
}

async function values(tensors: readonly tf.Tensor[]): Promise<Float32Array[]> {
  return Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
}

const stateValues = (state: readonly NamedArray[]) =>
  state.map((a) => Float32Array.from(a.values as ArrayLike<number>));

/** Runs `fn` on `backend`, counting the fused kernels it invokes. */
async function onBackend<T>(
  backend: string,
  fn: () => Promise<T>,
): Promise<{ result: T; fused: Record<string, number> }> {
  await tf.setBackend(backend);
  const counters = installStepCounters();
  try {
    const result = await fn();
    const byName = counters.snapshot().kernelsByName;
    return { result, fused: Object.fromEntries(FUSED.filter((k) => byName[k]).map((k) => [k, byName[k]!])) };
  } finally {
    counters.uninstall();
  }
}

/** AdamW (decay on matrices, per-parameter lr scales, parameters skipped on the first step). */
async function adamwCase(): Promise<Float32Array[]> {
  const params = SHAPES.map((shape, i) =>
    tf.variable(tf.tensor(seeded(sizeOf(shape), 7 + i), shape), true, `p${i}`),
  );
  const optimizer = new AdamW(params, {
    learningRate: 3e-3,
    betas: [0.9, 0.999],
    weightDecay: 0.05,
    lrScale: (p) => 1 + 0.1 * Number(p.name.slice(1)),
  });
  for (let step = 0; step < 3; step++) {
    const grads: tf.NamedTensorMap = {};
    params.forEach((p, i) => {
      // Parameters 1 and 5 get no gradient on the first step: their own step counts lag.
      if (step === 0 && (i === 1 || i === 5)) return;
      grads[p.name] = tf.tensor(seeded(p.size, 100 * step + i, 0.5), p.shape);
    });
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const out = [...(await values(params)), ...stateValues(await optimizer.getState())];
  optimizer.dispose();
  tf.dispose(params);
  return out;
}

function gradients(scale: number): tf.NamedTensorMap {
  return Object.fromEntries(
    SHAPES.map((shape, i) => [`g${i}`, tf.tensor(seeded(sizeOf(shape), 50 + i, scale), shape)]),
  );
}

/** Global norm, then clipping by it (active, and inactive because the norm is below the maximum). */
async function normCase(): Promise<Float32Array[]> {
  const grads = gradients(0.3);
  const norm = globalNorm(grads);
  const clipped = clipByGlobalNorm(grads, 1.5);
  const unclipped = clipByGlobalNorm(grads, 1e6);
  const out = await values([
    norm,
    clipped.norm,
    ...Object.values(clipped.grads),
    ...Object.values(unclipped.grads),
  ]);
  tf.dispose([
    norm,
    clipped.norm,
    unclipped.norm,
    ...Object.values(clipped.grads),
    ...Object.values(unclipped.grads),
  ]);
  tf.dispose(Object.values(grads));
  return out;
}

/** EMA over weights that move, one of them frozen. */
async function emaCase(): Promise<Float32Array[]> {
  const weights = SHAPES.map((shape, i) =>
    tf.variable(tf.tensor(seeded(sizeOf(shape), 300 + i), shape), false),
  );
  const ema = new ModelEma(weights, { decay: 0.999 });
  for (let step = 0; step < 3; step++) {
    weights.forEach((w, i) => {
      if (i !== 2)
        w.assign(tf.tidy(() => tf.add(w, tf.tensor(seeded(w.size, 400 + 10 * step + i, 0.1), w.shape))));
    });
    ema.update(new Set([weights[2]!]));
  }
  const out = stateValues(await ema.getState());
  ema.dispose();
  tf.dispose(weights);
  return out;
}

/** A few whole training steps of small_cnn with clipping and an EMA, from the same weights. */
async function trainCase(steps: number, initial: tf.Tensor[] | undefined) {
  const model: LayersModel = buildModel('small_cnn', {
    numClasses: 10,
    inputSize: 28,
    inputChannels: 1,
    seed: 3,
    dropout: 0,
  });
  if (initial) model.setWeights(initial);
  // In model.weights order (layer names differ between two builds of the same architecture).
  const start = await Promise.all(
    model.weights.map(async (w) => tf.tensor(await w.read().data(), w.read().shape)),
  );
  const params = trainableVariables(model);
  const optimizer = new AdamW(params, { learningRate: 1e-3, betas: [0.9, 0.999], weightDecay: 0.05 });
  const ema = new ModelEma(modelVariables(model), { decay: 0.99 });
  const batch = 8;
  const x = tf.tensor4d(seeded(batch * 28 * 28, 11), [batch, 28, 28, 1]);
  const y = tf.tensor1d(
    Int32Array.from({ length: batch }, (_, i) => i % 10),
    'int32',
  );
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const out = trainStep({ model, params, optimizer, labelSmoothing: 0.1, gradClip: 1 }, x, y);
    ema.update();
    losses.push((await out.loss.data())[0]!);
    tf.dispose([out.loss, out.correct, out.gradNorm]);
  }
  const weights = await values(params);
  const shadows = stateValues(await ema.getState());
  ema.dispose();
  optimizer.dispose();
  tf.dispose([x, y]);
  model.dispose();
  return { losses, weights, shadows, start };
}

/**
 * Compares the fused kernels on `options.backend` with `options.reference`. Both backends must be
 * registered (and the fused kernels registered for the one under test).
 */
export async function checkFusedKernels(options: FusedParityOptions = {}): Promise<FusedParityReport> {
  const backend = options.backend ?? 'webgpu';
  const reference = options.reference ?? 'cpu';
  const tolerance = options.tolerance ?? 1e-3;
  const trainSteps = options.trainSteps ?? 3;
  const log = options.log ?? (() => {});
  const cases: FusedParityCase[] = [];
  const compare = async (
    name: string,
    run: () => Promise<Float32Array[]>,
    expectKernels: string[],
    limits?: FusionLimits,
  ) => {
    const expected = (await onBackend(reference, run)).result;
    overrideFusionLimits(limits);
    try {
      const { result, fused } = await onBackend(backend, run);
      const maxRelativeError = worst(result, expected);
      const ran = expectKernels.every((k) => (fused[k] ?? 0) > 0);
      cases.push({ name, maxRelativeError, ok: maxRelativeError <= tolerance && ran, fusedKernels: fused });
      log(`${name}: max relative error ${maxRelativeError.toExponential(2)}, fused ${JSON.stringify(fused)}`);
    } finally {
      overrideFusionLimits(undefined);
    }
  };
  // Tiny limits: tensors split across groups (4,096 elements for AdamW's three arrays per
  // binding, 12,288 for one), and 2-D and 3-D workgroup grids 3 wide.
  const tiny: FusionLimits = {
    maxStorageBufferBindingSize: 3 * 4 * 4096,
    maxComputeWorkgroupsPerDimension: 3,
  };
  await compare('adamw', adamwCase, [ADAMW_UPDATE]);
  await compare('adamw, split into groups, 2-D grids', adamwCase, [ADAMW_UPDATE], tiny);
  await compare('global norm and clipping', normCase, [SUM_OF_SQUARES, CLIP_BY_GLOBAL_NORM]);
  await compare('global norm and clipping, split', normCase, [SUM_OF_SQUARES, CLIP_BY_GLOBAL_NORM], tiny);
  await compare('ema', emaCase, [EMA_UPDATE]);
  await compare('ema, split', emaCase, [EMA_UPDATE], tiny);

  if (trainSteps > 0) {
    const expected = await onBackend(reference, () => trainCase(trainSteps, undefined));
    const actual = await onBackend(backend, () => trainCase(trainSteps, expected.result.start));
    tf.dispose([...expected.result.start, ...actual.result.start]);
    const lossError = Math.max(
      ...expected.result.losses.map(
        (l, i) => Math.abs(actual.result.losses[i]! - l) / Math.max(Math.abs(l), 1e-6),
      ),
    );
    const weightError = worst(actual.result.weights, expected.result.weights);
    const shadowError = worst(actual.result.shadows, expected.result.shadows);
    // Whole models: float32 convolutions in another order drift more than one kernel, as in the
    // backend-parity bench (losses within 1e-2, weights after a few steps within 1e-2).
    const ran = [ADAMW_UPDATE, CLIP_BY_GLOBAL_NORM, EMA_UPDATE].every((k) => (actual.fused[k] ?? 0) > 0);
    const maxRelativeError = Math.max(weightError, shadowError);
    cases.push({
      name: `small_cnn, ${trainSteps} training steps (clip 1, EMA)`,
      maxRelativeError,
      ok: ran && lossError <= 1e-2 && maxRelativeError <= 10 * tolerance,
      fusedKernels: actual.fused,
      detail: {
        losses: actual.result.losses,
        referenceLosses: expected.result.losses,
        lossError,
        weightError,
        shadowError,
      },
    });
    log(
      `training: loss error ${lossError.toExponential(2)}, weights ${weightError.toExponential(2)}, shadows ${shadowError.toExponential(2)}`,
    );
  }
  return { backend, reference, tolerance, ok: cases.every((c) => c.ok), cases };
}
