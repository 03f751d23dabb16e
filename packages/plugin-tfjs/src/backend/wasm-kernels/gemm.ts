/**
 * Dense matrix product through the wasm backend's `BatchMatMul` kernel.
 *
 * That kernel only takes its fast XNNPACK path (`xnn_create_fully_connected_nc_f32`, SIMD) when
 * neither operand is transposed and the batch is 1; any transpose falls back to a scalar loop that
 * is ~20x slower. Callers therefore lay out their operands so that no transpose is needed.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { runWasmKernel, type WasmBackend } from './wasm-backend.js';

/**
 * Computes `a · b` for row-major `a: [m, k]` and `b: [k, n]`, returning a new `[m, n]` tensor.
 *
 * XNNPACK packs `b` once and caches the packed copy under `b`'s tensor id until `b` is disposed, so
 * `b` must be a tensor whose contents never change under that id (any tfjs tensor, or a temporary
 * written once before this call) and should be short-lived to avoid holding the packed copy.
 */
export function xnnGemm(backend: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  return runWasmKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }, backend);
}
