/**
 * Batch normalization in training mode as two fused wasm kernels (forward and gradient), and the
 * tfjs-layers `BatchNormalization` hook that uses them.
 *
 * tfjs-layers normalizes a training batch with `tf.moments` (Mean, Sub, Square, Mean) and
 * `tf.batchNorm`, and autodiff differentiates that composite: ~20 element-wise passes over the
 * activation per layer and step (Multiply, Sub, RealDiv, Tile, Sum, Square, Add...), 40% of a
 * MobileNetV4 step's kernel time on wasm, plus the per-op overhead of ~1,500 tfjs kernel calls.
 * Here the forward pass is one kernel (the batch mean and biased variance in float64 partial sums,
 * then the normalization) and the gradient another (Σdy and Σdy·(x − mean), then
 * dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)), dγ = Σdy·x̂, dβ = Σdy), three passes over the
 * activation in all, spread over the kernel threads.
 *
 * The math is the composite's: the same batch statistics (biased variance, as `tf.moments`) and
 * the exact gradient of the same function, so results agree with the stock layer to float32
 * rounding. Sums are split into a number of partial sums that depends only on the shape, so they
 * are identical for any thread count.
 */

import * as tf from '@tensorflow/tfjs-core';
import {
  type GradConfig,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  registerGradient,
  registerKernel,
  serialization,
  type Tensor,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
// The hook patches the layer class tfjs-layers registers for deserialization: load it first.
import '@tensorflow/tfjs-layers';
import {
  heapAddress,
  MIN_PARALLEL_FLOATS,
  runSimdTasks,
  type SimdKernels,
  simdKernels,
  splitRange,
} from './simd-kernels.js';
import { asWasmBackend, heapBuffer, heapF32, TempTensors, type WasmBackend } from './wasm-backend.js';

/**
 * Kernel name of the fused training forward pass: inputs x, gamma, beta and optionally the moving
 * statistics movingMean, movingVariance; outputs y, the batch mean and variance, and (with the
 * moving statistics) their updated values.
 */
export const BATCH_NORM_TRAIN = 'MlopsBatchNormTrain';
/** Kernel name of its gradient: inputs dy, x, mean, variance, gamma; outputs dx, dgamma, dbeta. */
export const BATCH_NORM_TRAIN_GRAD = 'MlopsBatchNormTrainGrad';

/** Attributes of both kernels. */
export interface BatchNormTrainAttrs {
  /** Added to the variance before the square root. */
  epsilon: number;
  /**
   * Momentum of the moving statistics (tfjs-layers' convention: moving ← moving − (moving −
   * batch)·(1 − momentum)); used when the moving statistics are given.
   */
  momentum?: number;
}

/** Rows per partial sum (at most {@link MAX_PARTIALS} of them): a function of the shape only. */
const ROWS_PER_PARTIAL = 256;
const MAX_PARTIALS = 16;

/** Row ranges of the partial sums of a reduction over `rows` rows (independent of threads). */
export function partialRanges(rows: number): [number, number][] {
  return splitRange(rows, Math.min(MAX_PARTIALS, Math.max(1, Math.floor(rows / ROWS_PER_PARTIAL))));
}

/** Row ranges for element-wise passes: a few per thread, at least 64 rows each. */
function passRanges(rows: number): [number, number][] {
  return splitRange(rows, 32, 64);
}

/** Channels (last dim) and rows (everything else) of `x`. */
function layout(x: TensorInfo): { channels: number; rows: number } {
  const channels = x.shape[x.shape.length - 1] ?? 0;
  return { channels, rows: channels === 0 ? 0 : util.sizeFromShape(x.shape) / channels };
}

/**
 * Σ over rows of `terms` per channel, as float64: each partial range fills its own block of
 * `width` doubles (via `run`), then the blocks are added in order.
 */
function partialSums(
  backend: WasmBackend,
  rows: number,
  width: number,
  run: (ranges: [number, number][], accAddr: number) => void,
): Float64Array {
  const ranges = partialRanges(rows);
  const scratch = backend.makeOutput([2 * width * ranges.length], 'float32');
  try {
    const accAddr = heapAddress(backend, scratch.dataId);
    if (accAddr % 8 !== 0) throw new Error('wasm training kernels: misaligned scratch buffer');
    new Float64Array(heapBuffer(backend), accAddr, width * ranges.length).fill(0);
    run(ranges, accAddr);
    const acc = new Float64Array(heapBuffer(backend), accAddr, width * ranges.length);
    const total = new Float64Array(width);
    for (let k = 0; k < ranges.length; k++) {
      for (let i = 0; i < width; i++) total[i]! += acc[k * width + i]!;
    }
    return total;
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

/** Forward pass with the SIMD loops (channels % 4 == 0). */
function forwardSimd(
  backend: WasmBackend,
  simd: SimdKernels,
  x: TensorInfo,
  gamma: TensorInfo,
  beta: TensorInfo,
  epsilon: number,
): TensorInfo[] {
  const { channels, rows } = layout(x);
  const groups = channels / 4;
  const temps = new TempTensors(backend);
  try {
    const y = temps.alloc(x.shape);
    const mean = temps.alloc([channels]);
    const variance = temps.alloc([channels]);
    const params = temps.alloc([3 * channels]);
    const xAddr = heapAddress(backend, x.dataId);
    const rowBytes = 4 * channels;
    const sums = partialSums(backend, rows, channels, (ranges, acc) => {
      const tasks = ranges.map(([r0, n], k) => [xAddr + r0 * rowBytes, n, groups, acc + 8 * k * channels]);
      runSimdTasks(backend, simd, 'reduceRows', tasks, rows * channels < MIN_PARALLEL_FLOATS);
    });
    const meanV = heapF32(backend, mean);
    for (let c = 0; c < channels; c++) meanV[c] = sums[c]! * (1 / rows);
    const meanAddr = heapAddress(backend, mean.dataId);
    const squares = partialSums(backend, rows, channels, (ranges, acc) => {
      const tasks = ranges.map(([r0, n], k) => [
        xAddr + r0 * rowBytes,
        n,
        groups,
        meanAddr,
        acc + 8 * k * channels,
      ]);
      runSimdTasks(backend, simd, 'sqDevRows', tasks, rows * channels < MIN_PARALLEL_FLOATS);
    });
    const varV = heapF32(backend, variance);
    for (let c = 0; c < channels; c++) varV[c] = squares[c]! * (1 / rows);
    writeAffineParams(backend, params, mean, variance, gamma, beta, epsilon);
    const yAddr = heapAddress(backend, y.dataId);
    const pAddr = heapAddress(backend, params.dataId);
    const tasks = passRanges(rows).map(([r0, n]) => [
      xAddr + r0 * rowBytes,
      yAddr + r0 * rowBytes,
      n,
      groups,
      pAddr,
    ]);
    runSimdTasks(backend, simd, 'affineChannels', tasks, rows * channels < MIN_PARALLEL_FLOATS);
    temps.dispose(params);
    return [temps.release(y), temps.release(mean), temps.release(variance)];
  } finally {
    temps.disposeAll();
  }
}

/** (mean, γ/√(var+ε), β) interleaved per 4-channel group, as `affineChannels` reads them. */
function writeAffineParams(
  backend: WasmBackend,
  params: TensorInfo,
  mean: TensorInfo,
  variance: TensorInfo,
  gamma: TensorInfo,
  beta: TensorInfo,
  epsilon: number,
): void {
  const m = heapF32(backend, mean);
  const v = heapF32(backend, variance);
  const g = heapF32(backend, gamma);
  const b = heapF32(backend, beta);
  const p = heapF32(backend, params);
  for (let c = 0; c < m.length; c++) {
    const base = (c >> 2) * 12 + (c & 3);
    p[base] = m[c]!;
    p[base + 4] = g[c]! / Math.sqrt(v[c]! + epsilon);
    p[base + 8] = b[c]!;
  }
}

/** Forward pass in plain JS (any channel count; no SIMD). */
function forwardJs(
  backend: WasmBackend,
  x: TensorInfo,
  gamma: TensorInfo,
  beta: TensorInfo,
  epsilon: number,
): TensorInfo[] {
  const { channels, rows } = layout(x);
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([channels], 'float32');
  const variance = backend.makeOutput([channels], 'float32');
  const xv = heapF32(backend, x);
  const yv = heapF32(backend, y);
  const m = heapF32(backend, mean);
  const v = heapF32(backend, variance);
  const g = heapF32(backend, gamma);
  const b = heapF32(backend, beta);
  const acc = new Float64Array(channels);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) acc[c]! += xv[r * channels + c]!;
  for (let c = 0; c < channels; c++) m[c] = acc[c]! * (1 / rows);
  acc.fill(0);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const d = Math.fround(xv[r * channels + c]! - m[c]!);
      acc[c]! += Math.fround(d * d);
    }
  }
  for (let c = 0; c < channels; c++) v[c] = acc[c]! * (1 / rows);
  const a = new Float32Array(channels);
  for (let c = 0; c < channels; c++) a[c] = g[c]! / Math.sqrt(v[c]! + epsilon);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const i = r * channels + c;
      yv[i] = Math.fround(Math.fround(xv[i]! - m[c]!) * a[c]!) + b[c]!;
    }
  }
  return [y, mean, variance];
}

/** Per-channel coefficients of dx = dy·A + (x − mean)·B + C, and dγ, dβ. */
function gradientCoefficients(
  sumDy: Float64Array,
  sumDyXc: Float64Array,
  variance: Float32Array,
  gamma: Float32Array,
  rows: number,
  epsilon: number,
): { a: Float64Array; b: Float64Array; c: Float64Array; dGamma: Float64Array } {
  const channels = sumDy.length;
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  const c = new Float64Array(channels);
  const dGamma = new Float64Array(channels);
  for (let i = 0; i < channels; i++) {
    const invStd = 1 / Math.sqrt(variance[i]! + epsilon);
    const gInv = gamma[i]! * invStd;
    a[i] = gInv;
    b[i] = (-gInv * invStd * invStd * sumDyXc[i]!) / rows;
    c[i] = (-gInv * sumDy[i]!) / rows;
    dGamma[i] = sumDyXc[i]! * invStd;
  }
  return { a, b, c, dGamma };
}

/** Gradient with the SIMD loops (channels % 4 == 0). */
function gradientSimd(
  backend: WasmBackend,
  simd: SimdKernels,
  inputs: { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; gamma: TensorInfo },
  epsilon: number,
): TensorInfo[] {
  const { dy, x, mean, variance, gamma } = inputs;
  const { channels, rows } = layout(x);
  const groups = channels / 4;
  const temps = new TempTensors(backend);
  try {
    const dx = temps.alloc(x.shape);
    const dGammaT = temps.alloc([channels]);
    const dBetaT = temps.alloc([channels]);
    const params = temps.alloc([4 * channels]);
    const xAddr = heapAddress(backend, x.dataId);
    const dyAddr = heapAddress(backend, dy.dataId);
    const meanAddr = heapAddress(backend, mean.dataId);
    const rowBytes = 4 * channels;
    const sums = partialSums(backend, rows, 2 * channels, (ranges, acc) => {
      const tasks = ranges.map(([r0, n], k) => [
        xAddr + r0 * rowBytes,
        dyAddr + r0 * rowBytes,
        n,
        groups,
        meanAddr,
        acc + 16 * k * channels,
      ]);
      runSimdTasks(backend, simd, 'bnGradSums', tasks, rows * channels < MIN_PARALLEL_FLOATS);
    });
    const sumDy = sums.subarray(0, channels);
    const sumDyXc = sums.subarray(channels);
    const k = gradientCoefficients(
      sumDy,
      sumDyXc,
      heapF32(backend, variance),
      heapF32(backend, gamma),
      rows,
      epsilon,
    );
    const p = heapF32(backend, params);
    const m = heapF32(backend, mean);
    for (let c = 0; c < channels; c++) {
      const base = (c >> 2) * 16 + (c & 3);
      p[base] = m[c]!;
      p[base + 4] = k.a[c]!;
      p[base + 8] = k.b[c]!;
      p[base + 12] = k.c[c]!;
    }
    heapF32(backend, dGammaT).set(k.dGamma);
    heapF32(backend, dBetaT).set(sumDy);
    const dxAddr = heapAddress(backend, dx.dataId);
    const pAddr = heapAddress(backend, params.dataId);
    const tasks = passRanges(rows).map(([r0, n]) => [
      xAddr + r0 * rowBytes,
      dyAddr + r0 * rowBytes,
      dxAddr + r0 * rowBytes,
      n,
      groups,
      pAddr,
    ]);
    runSimdTasks(backend, simd, 'bnGradDx', tasks, rows * channels < MIN_PARALLEL_FLOATS);
    temps.dispose(params);
    return [temps.release(dx), temps.release(dGammaT), temps.release(dBetaT)];
  } finally {
    temps.disposeAll();
  }
}

/** Gradient in plain JS (any channel count; no SIMD). */
function gradientJs(
  backend: WasmBackend,
  inputs: { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; gamma: TensorInfo },
  epsilon: number,
): TensorInfo[] {
  const { channels, rows } = layout(inputs.x);
  const dx = backend.makeOutput(inputs.x.shape, 'float32');
  const dGammaT = backend.makeOutput([channels], 'float32');
  const dBetaT = backend.makeOutput([channels], 'float32');
  const xv = heapF32(backend, inputs.x);
  const dyv = heapF32(backend, inputs.dy);
  const m = heapF32(backend, inputs.mean);
  const sumDy = new Float64Array(channels);
  const sumDyXc = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const i = r * channels + c;
      sumDy[c]! += dyv[i]!;
      sumDyXc[c]! += Math.fround(dyv[i]! * Math.fround(xv[i]! - m[c]!));
    }
  }
  const k = gradientCoefficients(
    sumDy,
    sumDyXc,
    heapF32(backend, inputs.variance),
    heapF32(backend, inputs.gamma),
    rows,
    epsilon,
  );
  const a = Float32Array.from(k.a);
  const b = Float32Array.from(k.b);
  const c0 = Float32Array.from(k.c);
  const dxv = heapF32(backend, dx);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const i = r * channels + c;
      dxv[i] =
        Math.fround(Math.fround(dyv[i]! * a[c]!) + Math.fround(Math.fround(xv[i]! - m[c]!) * b[c]!)) + c0[c]!;
    }
  }
  heapF32(backend, dGammaT).set(k.dGamma);
  heapF32(backend, dBetaT).set(sumDy);
  return [dx, dGammaT, dBetaT];
}

/** Throws unless `x` is float32 with per-channel float32 parameters. */
function check(kernel: string, x: TensorInfo, ...perChannel: TensorInfo[]): void {
  const { channels, rows } = layout(x);
  if (x.dtype !== 'float32' || x.shape.length < 2 || channels === 0 || rows === 0) {
    throw new Error(`${kernel} (wasm): needs a non-empty float32 input of rank >= 2`);
  }
  for (const t of perChannel) {
    if (t.dtype !== 'float32' || util.sizeFromShape(t.shape) !== channels) {
      throw new Error(`${kernel} (wasm): per-channel parameters must be float32 [${channels}]`);
    }
  }
}

/**
 * The moving statistic tfjs-layers writes after a training batch, in its float32 operations:
 * `moving − (moving − batch)·(1 − momentum)`.
 */
function updateMoving(
  backend: WasmBackend,
  moving: TensorInfo,
  batch: TensorInfo,
  momentum: number,
): TensorInfo {
  const out = backend.makeOutput([...moving.shape], 'float32');
  const f = Math.fround;
  const decay = f(1 - momentum);
  const o = heapF32(backend, out);
  const m = heapF32(backend, moving);
  const b = heapF32(backend, batch);
  for (let i = 0; i < o.length; i++) o[i] = f(m[i]! - f(f(m[i]! - b[i]!) * decay));
  return out;
}

const forward: KernelFunc = (args) => {
  const backend = asWasmBackend(args.backend);
  const { x, gamma, beta, movingMean, movingVariance } = args.inputs as Record<
    string,
    TensorInfo | undefined
  >;
  const { epsilon, momentum } = args.attrs as unknown as BatchNormTrainAttrs;
  if (x == null || gamma == null || beta == null)
    throw new Error(`${BATCH_NORM_TRAIN}: needs x, gamma, beta`);
  check(BATCH_NORM_TRAIN, x, gamma, beta, ...[movingMean, movingVariance].filter((t) => t != null));
  const simd = layout(x).channels % 4 === 0 ? simdKernels(backend) : null;
  const outs =
    simd != null
      ? forwardSimd(backend, simd, x, gamma, beta, epsilon)
      : forwardJs(backend, x, gamma, beta, epsilon);
  if (movingMean == null || movingVariance == null) return outs;
  return [
    ...outs,
    updateMoving(backend, movingMean, outs[1]!, momentum ?? 0.99),
    updateMoving(backend, movingVariance, outs[2]!, momentum ?? 0.99),
  ];
};

const gradient: KernelFunc = (args) => {
  const backend = asWasmBackend(args.backend);
  const { dy, x, mean, variance, gamma } = args.inputs as Record<string, TensorInfo>;
  const { epsilon } = args.attrs as unknown as BatchNormTrainAttrs;
  if (dy == null || x == null || mean == null || variance == null || gamma == null) {
    throw new Error(`${BATCH_NORM_TRAIN_GRAD}: needs dy, x, mean, variance, gamma`);
  }
  check(BATCH_NORM_TRAIN_GRAD, x, mean, variance, gamma);
  const inputs = { dy, x, mean, variance, gamma };
  const simd = layout(x).channels % 4 === 0 ? simdKernels(backend) : null;
  return simd != null ? gradientSimd(backend, simd, inputs, epsilon) : gradientJs(backend, inputs, epsilon);
};

/** The forward kernel for the `wasm` backend. */
export const batchNormTrainConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: forward,
};

/** The gradient kernel for the `wasm` backend. */
export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: gradient,
};

/** True when `t` is absent or all zeros (tfjs passes zeros for outputs off the gradient path). */
function isZero(t: Tensor | null | undefined): boolean {
  if (t == null) return true;
  const values = t.dataSync();
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return false;
  return true;
}

/**
 * Autodiff of the forward kernel. The batch mean and variance outputs normally feed only the
 * moving averages, and tfjs then passes zeros as their gradients; should a loss use them, their
 * gradients are added (∂mean/∂x = 1/N, ∂var/∂x = 2(x − mean)/N). The updated moving statistics
 * are not differentiated (they are state, not a function the loss sees).
 */
export const batchNormTrainGradConfigForTape: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs?: NamedAttrMap) => {
    const [dy, dMean, dVariance] = (Array.isArray(dys) ? dys : [dys]) as (Tensor | null)[];
    const [x, gamma, mean, variance] = saved as [Tensor, Tensor, Tensor, Tensor];
    const grads = tf
      .engine()
      .runKernel(
        BATCH_NORM_TRAIN_GRAD,
        { dy: dy ?? tf.zerosLike(x), x, mean, variance, gamma },
        attrs ?? {},
      ) as Tensor[];
    let dx = grads[0]!;
    const rows = x.size / x.shape[x.shape.length - 1]!;
    if (!isZero(dMean)) dx = tf.add(dx, tf.div(dMean!, rows));
    if (!isZero(dVariance)) dx = tf.add(dx, tf.mul(tf.mul(tf.sub(x, mean), dVariance!), 2 / rows));
    return { x: () => dx, gamma: () => grads[1]!, beta: () => grads[2]! };
  },
};

/** Registers both kernels and the gradient (idempotent). */
export function registerBatchNormTrainKernels(): void {
  for (const config of [batchNormTrainConfig, batchNormTrainGradConfig]) {
    if (getKernel(config.kernelName, 'wasm') == null) registerKernel(config);
  }
  installBatchNormTrainingPath();
}

/**
 * Registers the tape gradient of {@link BATCH_NORM_TRAIN} and the `BatchNormalization` hook
 * (idempotent): training calls then take the kernels on every backend that registers them under
 * these names (`wasm` here, `webgpu` in `../webgpu/batch-norm-kernels.ts`).
 */
export function installBatchNormTrainingPath(): void {
  if (!gradientRegistered) {
    registerGradient(batchNormTrainGradConfigForTape);
    gradientRegistered = true;
  }
  installBatchNormLayerHook();
}
let gradientRegistered = false;

// ---------------------------------------------------------------------------------------------
// tfjs-layers hook

/** The parts of tfjs-layers' `BatchNormalization` the hook reads. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma?: LayerVariable | null;
  beta?: LayerVariable | null;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}

/** A tfjs-layers `LayerVariable`. */
interface LayerVariable {
  read(): Tensor;
  write(value: Tensor): unknown;
}

type LayerCall = (this: BatchNormLayer, inputs: Tensor | Tensor[], kwargs: Record<string, unknown>) => Tensor;

let hookInstalled = false;
let hookEnabled = true;

/**
 * Turns the fused training path of `BatchNormalization` layers on or off (on by default once
 * installed); returns the previous setting. Tests compare both.
 */
export function setFusedBatchNormEnabled(on: boolean): boolean {
  const previous = hookEnabled;
  hookEnabled = on;
  return previous;
}

/**
 * The input if a training call of `layer` can take the fused kernel: the active backend has it,
 * float32 input of rank 2-4 normalized over its last axis, with both γ and β (tfjs-layers' own
 * training path needs both too). Else null, and the stock `call` runs.
 */
function fusableInput(
  layer: BatchNormLayer,
  inputs: Tensor | Tensor[],
  kwargs: Record<string, unknown>,
): Tensor | null {
  if (!hookEnabled || kwargs?.training !== true) return null;
  const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
  if (x == null || x.dtype !== 'float32' || x.rank < 2 || x.rank > 4 || x.size === 0) return null;
  const axis = layer.axis >= 0 ? layer.axis : layer.axis + x.rank;
  if (axis !== x.rank - 1 || !layer.center || !layer.scale || layer.gamma == null || layer.beta == null)
    return null;
  return getKernel(BATCH_NORM_TRAIN, tf.getBackend()) != null ? x : null;
}

/**
 * Routes training-mode calls of every tfjs-layers `BatchNormalization` (on a backend with the
 * kernels, see {@link fusableInput}) through the fused kernels; inference calls and everything else keep
 * the stock implementation. Installed once per process.
 */
function installBatchNormLayerHook(): void {
  if (hookInstalled) return;
  const entry = serialization.SerializationMap.getMap().classNameMap.BatchNormalization as
    | [{ prototype: { call: LayerCall } }, unknown]
    | undefined;
  if (entry == null) return;
  const proto = entry[0].prototype;
  const stock = proto.call;
  proto.call = function fusedBatchNormCall(this: BatchNormLayer, inputs, kwargs) {
    const x = fusableInput(this, inputs, kwargs);
    if (x == null) return stock.call(this, inputs, kwargs);
    if (x.size === x.shape[x.rank - 1]) {
      // One value per channel: the batch variance is 0 and the output is β whatever the input
      // (tfjs-layers trains on silently; PyTorch refuses, as here).
      throw new Error(
        `BatchNormalization: expected more than 1 value per channel when training, got input shape [${x.shape.join(', ')}] (a batch of one image?)`,
      );
    }
    return tf.tidy(() => {
      // The moving statistics are updated inside the kernel, as tfjs-layers would after it.
      const [y, , , movingMean, movingVariance] = tf.engine().runKernel(
        BATCH_NORM_TRAIN,
        {
          x,
          gamma: this.gamma!.read(),
          beta: this.beta!.read(),
          movingMean: this.movingMean.read(),
          movingVariance: this.movingVariance.read(),
        },
        { epsilon: this.epsilon, momentum: this.momentum },
      ) as Tensor[];
      this.movingMean.write(movingMean!);
      this.movingVariance.write(movingVariance!);
      return y!;
    });
  };
  hookInstalled = true;
}
