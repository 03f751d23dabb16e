/**
 * `_FusedMatMul` for the wasm backend: like `batch-mat-mul.ts`, a product with a transposed operand
 * is laid out untransposed and handed to the stock kernel, which then takes its XNNPACK path (bias
 * and activation fused) instead of a scalar loop that is 10-30x slower — and whose bias indexing
 * is wrong beyond the first row. Products with no bias or a per-column bias, and no PReLU weights or
 * per-column ones, are handled (batched ones one batch entry at a time); the stock kernel keeps the
 * rest.
 */
import {
  _FusedMatMul,
  type _FusedMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { planMatMul, runMatMul } from './transposed-mat-mul.js';
import { asWasmBackend } from './wasm-backend.js';

/** Builds the kernel config; `stock` computes the products and handles every other case. */
export function makeFusedMatMulConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    if (stock == null) throw new Error('_FusedMatMul (wasm): the stock kernel is missing');
    const {
      a,
      b,
      bias,
      preluActivationWeights: prelu,
    } = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as unknown as _FusedMatMulAttrs;
    const { transposeA, transposeB } = attrs;
    const plan =
      (transposeA || transposeB) && a != null && b != null && a.shape.length === 3 && b.shape.length === 3
        ? planMatMul(a, b, transposeA, transposeB)
        : null;
    // XNNPACK adds the bias per output column, so it must have one entry per column; the PReLU
    // weights apply to each batch entry's product on its own, so they must be per column too.
    const perColumn = (t: TensorInfo | undefined): boolean =>
      t == null || (t.shape.length === 1 && util.sizeFromShape(t.shape) === plan?.n);
    if (plan == null || !perColumn(bias) || !perColumn(prelu)) return stock.kernelFunc(args);
    const gemm = (left: TensorInfo, right: TensorInfo): TensorInfo => {
      const out = stock.kernelFunc({
        inputs: { ...args.inputs, a: left, b: right },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
        backend: args.backend,
      });
      if (Array.isArray(out)) throw new Error('_FusedMatMul (wasm): unexpected outputs');
      return out;
    };
    // Bias and activation apply to the result as laid out: no swapped (transposed) products.
    return runMatMul(asWasmBackend(args.backend), gemm, a!, b!, plan, 'direct');
  };
  return {
    kernelName: _FusedMatMul,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
