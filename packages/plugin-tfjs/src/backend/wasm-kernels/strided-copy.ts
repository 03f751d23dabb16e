/**
 * Block copies between tensors on the wasm heap (`PadV2` into a bigger tensor, `Slice` out of
 * one) as the SIMD `copyRunRows` loop, one task per position of the outer axes, spread over the
 * kernel threads.
 */
import { type TensorInfo, util } from '@tensorflow/tfjs-core';
import { heapAddress, MIN_PARALLEL_FLOATS, runSimdTasks, simdKernels } from './simd-kernels.js';
import type { WasmBackend } from './wasm-backend.js';

/**
 * Copies the box of `shape` (indices `k` of every axis) from `src` at `srcStart[k] + k` to `dst`
 * at `dstStart[k] + k`: axes `d` and inward form contiguous runs of `run` elements in both. Only
 * for 4-byte dtypes (float32, int32) with SIMD and `d >= 1`.
 *
 * @returns false when it did nothing (the caller copies itself)
 */
export function copyRunsParallel(
  backend: WasmBackend,
  src: TensorInfo,
  dst: TensorInfo,
  shape: readonly number[],
  srcStrides: readonly number[],
  srcStart: readonly number[],
  dstStrides: readonly number[],
  dstStart: readonly number[],
  d: number,
  run: number,
): boolean {
  if ((src.dtype !== 'float32' && src.dtype !== 'int32') || d < 1) return false;
  const simd = simdKernels(backend);
  if (simd == null) return false;
  const srcAddr = heapAddress(backend, src.dataId);
  const dstAddr = heapAddress(backend, dst.dataId);
  const strideOf = (strides: readonly number[], k: number): number => (k < strides.length ? strides[k]! : 1);
  // Rows: axis d - 1; one task per position of axes [0, d - 1).
  const rows = shape[d - 1]!;
  const outer = util.sizeFromShape(shape.slice(0, d - 1));
  const idx = new Array<number>(Math.max(0, d - 1)).fill(0);
  const tasks: number[][] = [];
  for (let o = 0; o < outer; o++) {
    let s = 0;
    let t = 0;
    for (let k = 0; k < d; k++) {
      const i = k < d - 1 ? idx[k]! : 0;
      s += (srcStart[k]! + i) * strideOf(srcStrides, k);
      t += (dstStart[k]! + i) * strideOf(dstStrides, k);
    }
    s += srcStart[d]! * strideOf(srcStrides, d);
    t += dstStart[d]! * strideOf(dstStrides, d);
    tasks.push([
      srcAddr + 4 * s,
      4 * strideOf(srcStrides, d - 1),
      4 * run,
      dstAddr + 4 * t,
      4 * strideOf(dstStrides, d - 1),
      4 * run,
      rows,
      1,
      run,
    ]);
    for (let k = d - 2; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  runSimdTasks(backend, simd, 'copyRunRows', tasks, util.sizeFromShape([...shape]) < MIN_PARALLEL_FLOATS);
  return true;
}
