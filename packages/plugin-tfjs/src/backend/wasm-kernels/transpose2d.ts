/**
 * Row-major 2-D transpose between tensors on the wasm heap: 4x4 SIMD shuffles when available
 * (`simd-kernels.ts`), else a JS loop. Used to feed XNNPACK matrix products in the orientation that
 * packs the smaller operand (see `gemm.ts`).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { heapAddress, simdKernels } from './simd-kernels.js';
import { heapF32, type WasmBackend } from './wasm-backend.js';

/**
 * Writes `dst[c * rows + r] = src[srcOffset + r * cols + c]` for r < rows, c < cols: the
 * `[rows, cols]` matrix starting `srcOffset` floats into `src`, transposed into `dst` as `[cols, rows]`.
 */
export function transpose2d(
  backend: WasmBackend,
  src: TensorInfo,
  srcOffset: number,
  rows: number,
  cols: number,
  dst: TensorInfo,
): void {
  const simd = simdKernels(backend);
  if (simd != null) {
    const from = heapAddress(backend, src.dataId) + 4 * srcOffset;
    simd.transposeBlock(from, 4 * cols, rows, cols, heapAddress(backend, dst.dataId), 4 * rows);
    return;
  }
  const s = heapF32(backend, src);
  const d = heapF32(backend, dst);
  for (let r = 0; r < rows; r++) {
    const row = srcOffset + r * cols;
    for (let c = 0; c < cols; c++) d[c * rows + r] = s[row + c]!;
  }
}
