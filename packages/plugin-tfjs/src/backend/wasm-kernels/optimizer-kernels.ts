/**
 * Fused optimizer kernels for the wasm backend: one AdamW update per parameter and one sum of
 * squares over all gradients (the global gradient norm).
 *
 * Written with tfjs ops, an AdamW step is 14 kernels per parameter and the global norm 2 per
 * gradient plus the sums — ~2,000 tfjs kernel calls per MobileNetV4 step, each with its fixed
 * engine overhead, for very little arithmetic. Here they are one kernel per parameter and one per
 * step. The AdamW kernel performs the composite's float32 operations in the same order
 * (`train/adamw.ts`), so its results are bit-identical; the sum of squares accumulates in float64.
 */
import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerKernel,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { heapAddress, MIN_PARALLEL_FLOATS, runSimdTasks, simdKernels, splitRange } from './simd-kernels.js';
import { asWasmBackend, heapBuffer, heapF32, TempTensors } from './wasm-backend.js';

/**
 * Kernel name of the AdamW update of several parameters at once: inputs an array of
 * (w, g, m, v) quadruples; outputs (w', m', v') per parameter, in the same order.
 */
export const ADAMW_UPDATE = 'MlopsAdamWUpdate';
/** Kernel name of Σ x² over any number of float32 inputs (an array, as `AddN`); output a scalar. */
export const SUM_OF_SQUARES = 'MlopsSumOfSquares';

/** Attributes of {@link ADAMW_UPDATE}: the float32 constants of one step, per parameter where they differ. */
export interface AdamWUpdateAttrs {
  /** β1. */
  beta1: number;
  /** β2. */
  beta2: number;
  /** ε. */
  eps: number;
  /** Per parameter: weight multiplier of the decoupled decay, `1 − lr·wd` (1 without decay). */
  decay: number[];
  /** Per parameter: `√(1 − β2ᵗ)` (t: that parameter's own step). */
  biasCorrection2Sqrt: number[];
  /** Per parameter: `lr / (1 − β1ᵗ)`. */
  stepSize: number[];
}

/** Floats per task of the element-wise updates (a few tasks per thread on big tensors). */
const MIN_TASK_FLOATS = 16 * 1024;

/** The update in JS for elements [from, to), float32 operation by operation. */
function adamwJs(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  wOut: Float32Array,
  mOut: Float32Array,
  vOut: Float32Array,
  k: Float32Array,
  from: number,
  to: number,
): void {
  const f = Math.fround;
  const [b1, ob1, b2, ob2, decay, c2, eps, step] = k as unknown as number[];
  for (let i = from; i < to; i++) {
    const gi = g[i]!;
    const nm = f(f(m[i]! * b1!) + f(gi * ob1!));
    const nv = f(f(v[i]! * b2!) + f(f(gi * gi) * ob2!));
    const denominator = f(f(f(Math.sqrt(nv)) / c2!) + eps!);
    mOut[i] = nm;
    vOut[i] = nv;
    wOut[i] = f(f(w[i]! * decay!) - f(f(nm / denominator) * step!));
  }
}

const adamwUpdate: KernelFunc = (args) => {
  const backend = asWasmBackend(args.backend);
  const inputs = Object.values(args.inputs as Record<string, TensorInfo>);
  const a = args.attrs as unknown as AdamWUpdateAttrs;
  const count = inputs.length / 4;
  if (!Number.isInteger(count) || count === 0 || a.decay.length !== count) {
    throw new Error(`${ADAMW_UPDATE}: needs (w, g, m, v) per parameter and per-parameter constants`);
  }
  const temps = new TempTensors(backend);
  try {
    const outs: TensorInfo[] = [];
    for (let p = 0; p < count; p++) {
      const w = inputs[4 * p]!;
      const n = util.sizeFromShape(w.shape);
      for (const t of inputs.slice(4 * p, 4 * p + 4)) {
        if (t.dtype !== 'float32' || util.sizeFromShape(t.shape) !== n) {
          throw new Error(`${ADAMW_UPDATE} (wasm): w, g, m, v must be float32 of the same size`);
        }
      }
      outs.push(temps.alloc(w.shape), temps.alloc(w.shape), temps.alloc(w.shape));
    }
    const consts = temps.alloc([8 * count]);
    const k = heapF32(backend, consts);
    for (let p = 0; p < count; p++) {
      k.set(
        [
          a.beta1,
          1 - a.beta1,
          a.beta2,
          1 - a.beta2,
          a.decay[p]!,
          a.biasCorrection2Sqrt[p]!,
          a.eps,
          a.stepSize[p]!,
        ],
        8 * p,
      );
    }
    const simd = simdKernels(backend);
    const kAddr = heapAddress(backend, consts.dataId);
    const tasks: number[][] = [];
    let total = 0;
    for (let p = 0; p < count; p++) {
      const n = util.sizeFromShape(inputs[4 * p]!.shape);
      total += n;
      const quads = simd != null ? n >> 2 : 0;
      if (quads === 0) continue;
      const addr = [...inputs.slice(4 * p, 4 * p + 4), ...outs.slice(3 * p, 3 * p + 3)].map((t) =>
        heapAddress(backend, t.dataId),
      );
      for (const [q0, c] of splitRange(quads, 32, MIN_TASK_FLOATS / 4)) {
        tasks.push([...addr.map((x) => x + 16 * q0), c, kAddr + 32 * p]);
      }
    }
    if (simd != null && tasks.length > 0)
      runSimdTasks(backend, simd, 'adamw', tasks, total < MIN_PARALLEL_FLOATS / 4);
    for (let p = 0; p < count; p++) {
      const n = util.sizeFromShape(inputs[4 * p]!.shape);
      const from = simd != null ? n & ~3 : 0;
      if (from === n) continue;
      const view = (t: TensorInfo) => heapF32(backend, t);
      const [w, g, m, v] = inputs.slice(4 * p, 4 * p + 4).map(view) as [
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      const [wOut, mOut, vOut] = outs.slice(3 * p, 3 * p + 3).map(view) as [
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      adamwJs(w, g, m, v, wOut, mOut, vOut, view(consts).subarray(8 * p, 8 * p + 8), from, n);
    }
    temps.dispose(consts);
    return outs.map((t) => temps.release(t));
  } finally {
    temps.disposeAll();
  }
};

const sumOfSquares: KernelFunc = (args) => {
  const backend = asWasmBackend(args.backend);
  const inputs = Object.values(args.inputs as Record<string, TensorInfo>);
  for (const t of inputs) {
    if (t.dtype !== 'float32') throw new Error(`${SUM_OF_SQUARES} (wasm): inputs must be float32`);
  }
  const out = backend.makeOutput([], 'float32');
  const simd = simdKernels(backend);
  let total = 0;
  if (simd != null) {
    // One block of 4 float64 lane sums per task, added in order: the same for any thread count.
    const jobs: { addr: number; quads: number }[] = [];
    for (const t of inputs) {
      const quads = util.sizeFromShape(t.shape) >> 2;
      const base = heapAddress(backend, t.dataId);
      for (const [q0, count] of splitRange(quads, 16, MIN_TASK_FLOATS / 4)) {
        if (count > 0) jobs.push({ addr: base + 16 * q0, quads: count });
      }
    }
    if (jobs.length > 0) {
      const scratch = backend.makeOutput([8 * jobs.length], 'float32');
      try {
        const acc = heapAddress(backend, scratch.dataId);
        if (acc % 8 !== 0) throw new Error('wasm training kernels: misaligned scratch buffer');
        new Float64Array(heapBuffer(backend), acc, 4 * jobs.length).fill(0);
        runSimdTasks(
          backend,
          simd,
          'sumSquares',
          jobs.map((job, i) => [job.addr, job.quads, acc + 32 * i]),
        );
        const sums = new Float64Array(heapBuffer(backend), acc, 4 * jobs.length);
        for (let i = 0; i < sums.length; i++) total += sums[i]!;
      } finally {
        backend.disposeData(scratch.dataId);
      }
    }
  }
  for (const t of inputs) {
    const x = heapF32(backend, t);
    for (let i = simd != null ? x.length & ~3 : 0; i < x.length; i++) total += x[i]! * x[i]!;
  }
  heapF32(backend, out)[0] = total;
  return out;
};

/** The AdamW kernel for the `wasm` backend. */
export const adamwUpdateConfig: KernelConfig = {
  kernelName: ADAMW_UPDATE,
  backendName: 'wasm',
  kernelFunc: adamwUpdate,
};

/** The sum-of-squares kernel for the `wasm` backend. */
export const sumOfSquaresConfig: KernelConfig = {
  kernelName: SUM_OF_SQUARES,
  backendName: 'wasm',
  kernelFunc: sumOfSquares,
};

/** Registers both kernels (idempotent). */
export function registerOptimizerKernels(): void {
  for (const config of [adamwUpdateConfig, sumOfSquaresConfig]) {
    if (getKernel(config.kernelName, 'wasm') == null) registerKernel(config);
  }
}
