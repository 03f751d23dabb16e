/**
 * `Sum` for the wasm backend: float32 reductions over leading / middle axes (batch-norm gradients
 * reduce NHWC over [0, 1, 2]) skip the stock kernel's transpose; see `axis-reduce.ts`.
 */
import {
  type KernelConfig,
  type KernelFunc,
  Sum,
  type SumAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { planContiguousReduce, reduceContiguous } from './axis-reduce.js';
import { asWasmBackend } from './wasm-backend.js';

/** Builds the kernel config; `stock` (the wasm backend's own `Sum`) handles every other case. */
export function makeSumConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const plan = x.dtype === 'float32' ? planContiguousReduce(x.shape, axis, keepDims) : null;
    if (plan == null && stock != null) return stock.kernelFunc(args);
    if (plan == null) throw new Error('Sum (wasm): unsupported reduction');
    return reduceContiguous(asWasmBackend(args.backend), x, plan, 1);
  };
  return {
    kernelName: Sum,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
