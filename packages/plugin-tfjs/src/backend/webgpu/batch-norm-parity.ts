/**
 * Checks the WebGPU training BatchNorm kernels (`batch-norm-kernels.ts`) against tfjs-layers'
 * composite on the reference `cpu` backend: `tf.moments` + `tf.batchNorm` and the moving-average
 * formula forward, autodiff of that composite backward (dx, dγ, dβ for a loss Σ y·w). The same
 * inputs on both backends; errors relative to the reference tensor's largest magnitude (as
 * `parity-check.ts`). Shapes cover one channel lane, partial channel blocks over several
 * workgroups, rank 2 and rank 4. Runs where both backends are registered: headless Chromium on
 * SwiftShader here (`test/backend/webgpu-batch-norm.test.ts`), Dawn on the device machine.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../wasm-kernels/batch-norm-train.js';
import { relativeError, seeded } from './parity-check.js';
import { installStepCounters } from './step-counters.js';

/** Options of {@link checkBatchNormKernels}. */
export interface BatchNormParityOptions {
  /** Backend under test; default `webgpu`. */
  backend?: string;
  /** Reference backend; default `cpu`. */
  reference?: string;
  /** Relative tolerance; default 1e-4. */
  tolerance?: number;
}

/** One compared shape. */
export interface BatchNormParityCase {
  /** Input shape (channels last). */
  shape: number[];
  /** Worst relative error per output. */
  errors: Record<
    'y' | 'mean' | 'variance' | 'movingMean' | 'movingVariance' | 'dx' | 'dGamma' | 'dBeta',
    number
  >;
  /** Invocations of the two kernels and WebGPU dispatches for one forward + backward. */
  kernels: Record<string, number>;
  /** Dispatches of that forward + backward (null off WebGPU). */
  dispatches: number | null;
  /** Within tolerance, and the kernels ran: the forward twice (values, then under the gradient), the gradient once. */
  ok: boolean;
}

/** The report of {@link checkBatchNormKernels}. */
export interface BatchNormParityReport {
  /** Backend under test. */
  backend: string;
  /** Reference backend. */
  reference: string;
  /** Tolerance used. */
  tolerance: number;
  /** All cases passed. */
  ok: boolean;
  /** The cases. */
  cases: BatchNormParityCase[];
}

/**
 * Shapes: 1 channel, 8 (one partial lane block), 100 (two workgroups, the second partial), rank 2;
 * then rows split into row blocks and merged (7 blocks of 900 rows; 10 blocks, the last shorter).
 */
export const BATCH_NORM_PARITY_SHAPES: number[][] = [
  [2, 5, 5, 1],
  [4, 6, 6, 8],
  [3, 4, 4, 100],
  [37, 24],
  [7, 30, 30, 8],
  [20001, 3],
];

const EPSILON = 1e-5;
const MOMENTUM = 0.9;

interface Inputs {
  x: tf.Tensor;
  w: tf.Tensor;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  movingMean: tf.Tensor1D;
  movingVariance: tf.Tensor1D;
}

function inputs(shape: number[]): Inputs {
  const size = shape.reduce((a, b) => a * b, 1);
  const c = shape.at(-1)!;
  return {
    // An offset mean and a spread that differ per element: the variance pass is really exercised.
    x: tf.tensor(seeded(size, 7 + size, 2, 0.5), shape),
    w: tf.tensor(seeded(size, 11 + size, 1), shape),
    gamma: tf.tensor1d(seeded(c, 13, 0.5, 1)),
    beta: tf.tensor1d(seeded(c, 17, 0.5)),
    movingMean: tf.tensor1d(seeded(c, 19, 0.2)),
    movingVariance: tf.tensor1d(seeded(c, 23, 0.2, 1)),
  };
}

/** tfjs-layers' training composite (what runs where the kernels are not registered). */
function composite(t: Inputs): tf.Tensor[] {
  const axes = t.x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(t.x, axes);
  const decay = 1 - MOMENTUM;
  const movingMean = tf.sub(t.movingMean, tf.mul(tf.sub(t.movingMean, mean), decay));
  const movingVariance = tf.sub(t.movingVariance, tf.mul(tf.sub(t.movingVariance, variance), decay));
  const f = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
    const m = tf.moments(x, axes);
    return tf.batchNorm(x, m.mean, m.variance, beta, gamma, EPSILON);
  };
  const y = f(t.x, t.gamma, t.beta);
  const [dx, dGamma, dBeta] = tf.grads((x, g, b) => tf.sum(tf.mul(f(x, g, b), t.w)))([t.x, t.gamma, t.beta]);
  return [y, mean, variance, movingMean, movingVariance, dx!, dGamma!, dBeta!];
}

/** The kernels, as the layer hook and the tape gradient call them. */
function kernels(t: Inputs): tf.Tensor[] {
  const run = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) =>
    tf
      .engine()
      .runKernel(
        BATCH_NORM_TRAIN,
        { x, gamma, beta, movingMean: t.movingMean, movingVariance: t.movingVariance },
        { epsilon: EPSILON, momentum: MOMENTUM },
      ) as tf.Tensor[];
  const [y, mean, variance, movingMean, movingVariance] = run(t.x, t.gamma, t.beta);
  const [dx, dGamma, dBeta] = tf.grads((x, g, b) => tf.sum(tf.mul(run(x, g, b)[0]!, t.w)))([
    t.x,
    t.gamma,
    t.beta,
  ]);
  return [y!, mean!, variance!, movingMean!, movingVariance!, dx!, dGamma!, dBeta!];
}

async function compute(
  backend: string,
  shape: number[],
  fn: (t: Inputs) => tf.Tensor[],
): Promise<{ values: Float32Array[]; kernels: Record<string, number>; dispatches: number | null }> {
  await tf.setBackend(backend);
  await tf.ready();
  const counters = installStepCounters();
  try {
    const outs = tf.tidy(() => fn(inputs(shape)));
    const values = await Promise.all(outs.map(async (o) => Float32Array.from(await o.data())));
    tf.dispose(outs);
    const counts = counters.snapshot();
    return {
      values,
      kernels: {
        [BATCH_NORM_TRAIN]: counts.kernelsByName[BATCH_NORM_TRAIN] ?? 0,
        [BATCH_NORM_TRAIN_GRAD]: counts.kernelsByName[BATCH_NORM_TRAIN_GRAD] ?? 0,
      },
      dispatches: counts.dispatches,
    };
  } finally {
    counters.uninstall();
  }
}

const OUTPUTS = ['y', 'mean', 'variance', 'movingMean', 'movingVariance', 'dx', 'dGamma', 'dBeta'] as const;

/**
 * Runs every shape of {@link BATCH_NORM_PARITY_SHAPES} through the kernels on `backend` and the
 * composite on `reference`; a case passes when every output is within `tolerance` and the kernels
 * ran (forward twice, gradient once).
 */
export async function checkBatchNormKernels(
  options: BatchNormParityOptions = {},
): Promise<BatchNormParityReport> {
  const backend = options.backend ?? 'webgpu';
  const reference = options.reference ?? 'cpu';
  const tolerance = options.tolerance ?? 1e-4;
  const cases: BatchNormParityCase[] = [];
  for (const shape of BATCH_NORM_PARITY_SHAPES) {
    const expected = await compute(reference, shape, composite);
    const actual = await compute(backend, shape, kernels);
    const errors = Object.fromEntries(
      OUTPUTS.map((name, i) => [name, relativeError(actual.values[i]!, expected.values[i]!)]),
    ) as BatchNormParityCase['errors'];
    const ok =
      Object.values(errors).every((e) => e <= tolerance) &&
      actual.kernels[BATCH_NORM_TRAIN] === 2 &&
      actual.kernels[BATCH_NORM_TRAIN_GRAD] === 1;
    cases.push({ shape, errors, kernels: actual.kernels, dispatches: actual.dispatches, ok });
  }
  await tf.setBackend(backend);
  return { backend, reference, tolerance, ok: cases.every((c) => c.ok), cases };
}
