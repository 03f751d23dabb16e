/**
 * `Tile` for the wasm backend, replacing the stock one for the common "broadcast a small tensor to
 * a big one" case.
 *
 * tfjs-core's batch-norm gradient tiles a [1,1,1,C] vector to the full activation shape once per
 * BN layer. The stock wasm kernel computes a multi-index per element (~8 ns/element here) and was
 * the single most expensive kernel of a MobileNetV4 train step (0.8 s of ~2.4 s). Here the output
 * is built by copying the input's innermost runs and then doubling already-written blocks with
 * `copyWithin` (memmove), so the cost is a few bulk copies.
 */
import {
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  Tile,
  type TileAttrs,
  util,
} from '@tensorflow/tfjs-core';
import { type HeapArray, heapView } from './heap-views.js';
import { asWasmBackend } from './wasm-backend.js';

/**
 * Merges axes so that fewer, longer runs are copied: an axis whose repeat count is 1 is folded
 * into the axis before it (tiling the merged axis by the outer count gives the same layout), and
 * size-1 axes repeated once are dropped.
 */
function simplifyTile(shape: readonly number[], reps: readonly number[]): [number[], number[]] {
  const s: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const size = shape[i]!;
    const rep = reps[i]!;
    if (size === 1 && rep === 1) continue;
    if (rep === 1 && s.length > 0) {
      s[s.length - 1]! *= size;
      continue;
    }
    s.push(size);
    r.push(rep);
  }
  if (s.length === 0) return [[1], [1]];
  return [s, r];
}

/** Fills `out` with `x` tiled per the (simplified) shape and reps. */
function tileInto(x: HeapArray, out: HeapArray, shape: number[], reps: number[]): void {
  const rank = shape.length;
  const inStride = new Array<number>(rank).fill(1);
  const outStride = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) {
    inStride[i] = inStride[i + 1]! * shape[i + 1]!;
    outStride[i] = outStride[i + 1]! * shape[i + 1]! * reps[i + 1]!;
  }
  // Doubles the written block [off, off+len) until it is repeated `times` times.
  const replicate = (off: number, len: number, times: number): void => {
    const total = len * times;
    for (let filled = len; filled < total; ) {
      const n = Math.min(filled, total - filled);
      out.copyWithin(off + filled, off, off + n);
      filled += n;
    }
  };
  const fill = (axis: number, inOff: number, outOff: number): void => {
    const size = shape[axis]!;
    if (axis === rank - 1) {
      out.set(x.subarray(inOff, inOff + size), outOff);
    } else {
      for (let i = 0; i < size; i++)
        fill(axis + 1, inOff + i * inStride[axis]!, outOff + i * outStride[axis]!);
    }
    replicate(outOff, size * outStride[axis]!, reps[axis]!);
  };
  fill(0, 0, 0);
}

/**
 * Builds the kernel config; `stock` (the wasm backend's own `Tile`) handles what the fast path
 * does not: strings, and tilings made of many tiny runs where per-run calls would cost more.
 */
export function makeTileConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const backend = asWasmBackend(args.backend);
    const x = args.inputs.x as TensorInfo;
    const { reps } = args.attrs as unknown as TileAttrs;
    const outShape = x.shape.map((s, i) => s * (reps[i] ?? 1));
    const [shape, r] = simplifyTile(x.shape, reps);
    const total = util.sizeFromShape(outShape);
    // Number of innermost input runs copied one by one; beyond ~1 per 16 output elements the
    // per-run call overhead would exceed the stock per-element loop.
    const runs = util.sizeFromShape(shape.slice(0, -1));
    const fast = x.dtype !== 'string' && total > 0 && runs * 16 <= total;
    if (!fast && stock != null) return stock.kernelFunc(args);
    const out = backend.makeOutput(outShape, x.dtype);
    if (total === 0) return out;
    const xv = heapView(backend, x);
    const ov = heapView(backend, out);
    if (xv == null || ov == null) throw new Error(`Tile (wasm): unsupported dtype ${x.dtype}`);
    tileInto(xv, ov, shape, r);
    return out;
  };
  return {
    kernelName: Tile,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
