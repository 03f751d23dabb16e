/**
 * Row-major 2-D transpose between tensors on the wasm heap: 4x4 SIMD shuffles when available
 * (`simd-kernels.ts`), else a JS loop, both over tiles that stay in L1. Without tiling, each 4-column
 * strip sweeps the whole source; with a power-of-two row stride the rows of a strip also all map to
 * the same L1 sets, so the tile height is cut to what the L1's associativity holds (measured: a
 * [64, 16384] transpose 1.07 ms untiled -> 0.34 ms, [1024, 1024] 1.2 -> 0.73 ms, [16384, 64]
 * 0.32 -> 0.21 ms). Used to feed XNNPACK matrix products in the orientation that packs the smaller
 * operand (see `gemm.ts`). The tiles are spread over the kernel threads.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { heapAddress, MIN_PARALLEL_FLOATS, runSimdTasks, simdKernels } from './simd-kernels.js';
import { heapF32, type WasmBackend } from './wasm-backend.js';

/** Tile width (source columns) and largest tile height (source rows), in floats. */
const TILE = 64;

/** Greatest common divisor. */
function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Source rows per tile. Rows 4*cols bytes apart fall into only 4096 / gcd(4*cols, 4096) of the
 * L1's 4 KiB-periodic sets; the tile keeps ~8 rows (ways) per such set, e.g. 8 rows for a 64 KiB
 * row stride, the full 64 for a 256 B one.
 */
function tileRows(cols: number): number {
  const sets = 4096 / gcd(4 * cols, 4096);
  return Math.max(8, Math.min(TILE, 8 * sets));
}

/**
 * Writes `dst[dstOffset + c * rows + r] = src[srcOffset + r * cols + c]` for r < rows, c < cols:
 * the `[rows, cols]` matrix starting `srcOffset` floats into `src`, transposed into `dst` as
 * `[cols, rows]` starting `dstOffset` floats in.
 */
export function transpose2d(
  backend: WasmBackend,
  src: TensorInfo,
  srcOffset: number,
  rows: number,
  cols: number,
  dst: TensorInfo,
  dstOffset = 0,
): void {
  const TR = tileRows(cols);
  const simd = simdKernels(backend);
  if (simd != null) {
    const from = heapAddress(backend, src.dataId) + 4 * srcOffset;
    const to = heapAddress(backend, dst.dataId) + 4 * dstOffset;
    // One task per tile: tiles write disjoint parts of dst, so any thread may take any of them.
    const tasks: number[][] = [];
    for (let r0 = 0; r0 < rows; r0 += TR) {
      const nr = Math.min(TR, rows - r0);
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const nc = Math.min(TILE, cols - c0);
        tasks.push([from + 4 * (r0 * cols + c0), 4 * cols, nr, nc, to + 4 * (c0 * rows + r0), 4 * rows]);
      }
    }
    runSimdTasks(backend, simd, 'transposeBlock', tasks, rows * cols < MIN_PARALLEL_FLOATS);
    return;
  }
  const s = heapF32(backend, src);
  const d = heapF32(backend, dst);
  for (let r0 = 0; r0 < rows; r0 += TR) {
    const r1 = Math.min(rows, r0 + TR);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const row = srcOffset + r * cols;
        for (let c = c0; c < c1; c++) d[dstOffset + c * rows + r] = s[row + c]!;
      }
    }
  }
}
