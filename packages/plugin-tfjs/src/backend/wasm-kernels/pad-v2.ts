/**
 * `PadV2` (constant padding) for the wasm backend, replacing the stock one.
 *
 * Models that pad explicitly before strided convs (timm-style "same" padding) pad a full activation
 * per such conv; the stock kernel's per-element loop costs ~6 ns/element here. This fills the
 * output with the constant and copies the input in contiguous runs.
 */
import {
  type KernelConfig,
  type KernelFunc,
  PadV2,
  type PadV2Attrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { heapView, isNumericDtype } from './heap-views.js';
import { copyRunsParallel } from './strided-copy.js';
import { asWasmBackend } from './wasm-backend.js';

/** Builds the kernel config; `stock` handles strings and paddings made of very short runs. */
export function makePadV2Config(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { paddings, constantValue } = args.attrs as unknown as PadV2Attrs;
    const rank = x.shape.length;
    const outShape = x.shape.map((n, i) => n + (paddings[i]?.[0] ?? 0) + (paddings[i]?.[1] ?? 0));
    // Innermost padded axis: the input is copied in runs covering that axis and everything inside.
    let d = rank - 1;
    while (d > 0 && (paddings[d]?.[0] ?? 0) === 0 && (paddings[d]?.[1] ?? 0) === 0) d--;
    const run = util.sizeFromShape(x.shape.slice(d));
    const total = util.sizeFromShape(x.shape);
    const fast = rank > 0 && isNumericDtype(x.dtype) && total > 0 && (run >= 16 || total === run);
    if (!fast) {
      if (stock == null) throw new Error('PadV2 (wasm): unsupported padding');
      return stock.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(outShape, x.dtype);
    const xv = heapView(backend, x);
    const ov = heapView(backend, out);
    if (xv == null || ov == null) throw new Error(`PadV2 (wasm): unsupported dtype ${x.dtype}`);
    ov.fill(constantValue);
    const outStrides = util.computeStrides(outShape);
    const inner = util.sizeFromShape(x.shape.slice(d + 1));
    const startD = (paddings[d]?.[0] ?? 0) * inner;
    const before = x.shape.map((_, k) => paddings[k]?.[0] ?? 0);
    if (
      copyRunsParallel(
        backend,
        x,
        out,
        x.shape,
        util.computeStrides(x.shape),
        new Array(x.shape.length).fill(0),
        outStrides,
        before,
        d,
        run,
      )
    ) {
      return out;
    }
    const idx = new Array<number>(d).fill(0);
    for (let i = 0; i < total; i += run) {
      let off = startD;
      for (let k = 0; k < d; k++) off += (idx[k]! + (paddings[k]?.[0] ?? 0)) * outStrides[k]!;
      ov.set(xv.subarray(i, i + run), off);
      for (let k = d - 1; k >= 0; k--) {
        if (++idx[k]! < x.shape[k]!) break;
        idx[k] = 0;
      }
    }
    return out;
  };
  return {
    kernelName: PadV2,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
