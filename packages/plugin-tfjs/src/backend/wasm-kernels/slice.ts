/**
 * `Slice` for the wasm backend, replacing the stock one.
 *
 * The stock kernel first copies the whole input out of the wasm heap (`readSync`) and then slices
 * the copy; for the big activations a MobileNet slices (gradients of its explicit padding) that is
 * ~10 ms per call at batch 64. Here contiguous runs are copied directly between heap views.
 */
import {
  type KernelConfig,
  type KernelFunc,
  Slice,
  type SliceAttrs,
  slice_util,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { heapView, isNumericDtype } from './heap-views.js';
import { copyRunsParallel } from './strided-copy.js';
import { asWasmBackend } from './wasm-backend.js';

/** Builds the kernel config; `stock` handles strings and slices made of very short runs. */
export function makeSliceConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { begin, size } = args.attrs as unknown as SliceAttrs;
    const [b = [], s = []] = slice_util.parseSliceParams(x, begin, size);
    const rank = x.shape.length;
    // Innermost axis that is not taken whole: everything inside it is one contiguous run.
    let d = rank - 1;
    while (d > 0 && b[d] === 0 && s[d] === x.shape[d]) d--;
    const run = util.sizeFromShape(s.slice(d));
    const total = util.sizeFromShape(s);
    if (rank === 0 || !isNumericDtype(x.dtype) || total === 0 || (run < 16 && total > run) || stock == null) {
      if (stock == null) throw new Error('Slice (wasm): unsupported slice');
      return stock.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(s, x.dtype);
    const xv = heapView(backend, x);
    const ov = heapView(backend, out);
    if (xv == null || ov == null) throw new Error(`Slice (wasm): unsupported dtype ${x.dtype}`);
    const strides = util.computeStrides(x.shape);
    const start = (b[d] ?? 0) * (strides[d] ?? 1);
    if (
      copyRunsParallel(
        backend,
        x,
        out,
        s,
        strides,
        b,
        util.computeStrides(s),
        new Array(s.length).fill(0),
        d,
        run,
      )
    ) {
      return out;
    }
    // Walk the outer index [0, d) like an odometer, copying one run per position.
    const idx = new Array<number>(d).fill(0);
    for (let o = 0; o < total; o += run) {
      let off = start;
      for (let k = 0; k < d; k++) off += (b[k]! + idx[k]!) * strides[k]!;
      ov.set(xv.subarray(off, off + run), o);
      for (let k = d - 1; k >= 0; k--) {
        if (++idx[k]! < s[k]!) break;
        idx[k] = 0;
      }
    }
    return out;
  };
  return {
    kernelName: Slice,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
