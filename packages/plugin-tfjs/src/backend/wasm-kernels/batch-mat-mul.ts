/**
 * `BatchMatMul` for the wasm backend: products with a transposed operand — every dense layer's
 * backward pass (dx = dy · Wᵀ, dW = xᵀ · dy) — run on XNNPACK after laying the operands out
 * untransposed (see `transposed-mat-mul.ts`) instead of the stock kernel's scalar loop, 10-30x
 * faster. Untransposed products, tiny ones and unusual broadcasts stay on the stock kernel.
 */
import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { type MatMulOrientation, planMatMul, runMatMul } from './transposed-mat-mul.js';
import { asWasmBackend } from './wasm-backend.js';

/**
 * Builds the kernel config; `stock` (the wasm backend's own `BatchMatMul`) computes the XNNPACK
 * products and handles every case not sped up. `orientation` forces a layout (for tests).
 */
export function makeBatchMatMulConfig(
  stock: KernelConfig | undefined,
  orientation: MatMulOrientation = 'auto',
): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    if (stock == null) throw new Error('BatchMatMul (wasm): the stock kernel is missing');
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    const plan = transposeA || transposeB ? planMatMul(a, b, transposeA, transposeB) : null;
    if (plan == null) return stock.kernelFunc(args);
    const backend = asWasmBackend(args.backend);
    const gemm = (left: TensorInfo, right: TensorInfo): TensorInfo => {
      const out = stock.kernelFunc({
        inputs: { a: left, b: right },
        attrs: { transposeA: false, transposeB: false },
        backend: args.backend,
      });
      if (Array.isArray(out)) throw new Error('BatchMatMul (wasm): unexpected outputs');
      return out;
    };
    return runMatMul(backend, gemm, a, b, plan, orientation);
  };
  return {
    kernelName: BatchMatMul,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
