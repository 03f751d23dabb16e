/**
 * `Relu` and its gradient for the wasm backend, as parallel wasm SIMD loops.
 *
 * The stock kernel runs XNNPACK's clamp operator set up with one channel, ~3 ns per element here;
 * the gradient tfjs-core registers is two more kernels (`Step`, then `Multiply` with dy). Here
 * the forward pass is `max(x, 0)` and the gradient one pass, `x > 0 ? dy : 0` — the same values
 * as `dy · step(x)` except where x is NaN or dy infinite (0 instead of NaN).
 */

import * as tf from '@tensorflow/tfjs-core';
import {
  type GradConfig,
  getGradient,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  Relu,
  registerGradient,
  registerKernel,
  type Tensor,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import {
  heapAddress,
  MIN_PARALLEL_FLOATS,
  runSimdTasks,
  type SimdKernels,
  simdKernels,
  splitRange,
} from './simd-kernels.js';
import { asWasmBackend, heapF32, type WasmBackend } from './wasm-backend.js';

/** Kernel name of the fused ReLU gradient: inputs dy, x; output dx. */
export const RELU_GRAD = 'MlopsReluGrad';

/** Elements per task (a few tasks per thread on big tensors). */
const MIN_TASK_FLOATS = 16 * 1024;

/**
 * ReLU of the first `4 * floor(n / 4)` floats at heap address `srcAddr` into `dstAddr` (the same
 * address for in place) with the SIMD `relu` loop, spread over the kernel threads for large passes.
 *
 * @returns the floats done; the caller finishes the last `n % 4`
 */
export function reluQuads(
  backend: WasmBackend,
  simd: SimdKernels,
  srcAddr: number,
  dstAddr: number,
  n: number,
): number {
  const quads = n >> 2;
  const tasks = splitRange(quads, 32, MIN_TASK_FLOATS / 4).map(([q, c]) => [
    srcAddr + 16 * q,
    dstAddr + 16 * q,
    c,
  ]);
  runSimdTasks(backend, simd, 'relu', tasks, n < MIN_PARALLEL_FLOATS);
  return 4 * quads;
}

/** Builds the `Relu` config; `stock` handles int32 and anything without SIMD. */
export function makeReluConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const backend = asWasmBackend(args.backend);
    const simd = x.dtype === 'float32' ? simdKernels(backend) : null;
    if (simd == null) {
      if (stock == null) throw new Error('Relu (wasm): unsupported input');
      return stock.kernelFunc(args);
    }
    const n = util.sizeFromShape(x.shape);
    const out = backend.makeOutput(x.shape, 'float32');
    const done = reluQuads(
      backend,
      simd,
      heapAddress(backend, x.dataId),
      heapAddress(backend, out.dataId),
      n,
    );
    if (done < n) {
      const xv = heapF32(backend, x);
      const ov = heapF32(backend, out);
      for (let i = done; i < n; i++) ov[i] = Math.max(xv[i]!, 0);
    }
    return out;
  };
  return {
    kernelName: Relu,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}

const reluGrad: KernelFunc = (args) => {
  const backend = asWasmBackend(args.backend);
  const { dy, x } = args.inputs as Record<string, TensorInfo>;
  if (dy == null || x == null || dy.dtype !== 'float32' || x.dtype !== 'float32') {
    throw new Error(`${RELU_GRAD} (wasm): needs float32 dy and x`);
  }
  const n = util.sizeFromShape(x.shape);
  if (util.sizeFromShape(dy.shape) !== n) throw new Error(`${RELU_GRAD} (wasm): dy and x differ in size`);
  const out = backend.makeOutput(x.shape, 'float32');
  const simd = simdKernels(backend);
  const quads = simd != null ? n >> 2 : 0;
  if (simd != null && quads > 0) {
    const dyAddr = heapAddress(backend, dy.dataId);
    const xAddr = heapAddress(backend, x.dataId);
    const oAddr = heapAddress(backend, out.dataId);
    const tasks = splitRange(quads, 32, MIN_TASK_FLOATS / 4).map(([q, c]) => [
      dyAddr + 16 * q,
      xAddr + 16 * q,
      oAddr + 16 * q,
      c,
    ]);
    runSimdTasks(backend, simd, 'reluGrad', tasks, n < MIN_PARALLEL_FLOATS);
  }
  if (4 * quads < n) {
    const dyv = heapF32(backend, dy);
    const xv = heapF32(backend, x);
    const ov = heapF32(backend, out);
    for (let i = 4 * quads; i < n; i++) ov[i] = xv[i]! > 0 ? dyv[i]! : 0;
  }
  return out;
};

/** The fused ReLU gradient kernel for the `wasm` backend. */
export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGrad,
};

let gradientInstalled = false;

/**
 * Registers {@link RELU_GRAD} and makes `Relu`'s gradient use it on wasm (float32); every other
 * backend and dtype keeps tfjs-core's gradient. Idempotent.
 */
export function registerReluGrad(): void {
  if (getKernel(RELU_GRAD, 'wasm') == null) registerKernel(reluGradConfig);
  if (gradientInstalled) return;
  const stock = getGradient(Relu);
  if (stock == null) return;
  const config: GradConfig = {
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [Tensor];
      const g = dy as Tensor;
      if (tf.getBackend() === 'wasm' && x.dtype === 'float32' && g.dtype === 'float32') {
        return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: g, x }, {}) as Tensor };
      }
      return stock.gradFunc(dy, saved, attrs);
    },
  };
  registerGradient(config);
  gradientInstalled = true;
}
