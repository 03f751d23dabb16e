/**
 * Dtype-aware views of tensors on the wasm heap, for kernels that only move data (slice, pad, tile)
 * and so work for every numeric dtype.
 */
import { type DataType, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { heapBuffer, type WasmBackend } from './wasm-backend.js';

/** A typed view of a numeric tensor; bool is stored as one byte per element. */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

const VIEW: Partial<Record<DataType, new (b: ArrayBufferLike, offset: number, length: number) => HeapArray>> =
  {
    float32: Float32Array,
    int32: Int32Array,
    bool: Uint8Array,
  };

/** True for dtypes `heapView` supports (everything but string / complex64). */
export function isNumericDtype(dtype: DataType): boolean {
  return VIEW[dtype] != null;
}

/**
 * A view of `info`'s data with its dtype's array type, or null for string / complex tensors.
 * Like `heapF32`, take it only after the kernel's last allocation.
 */
export function heapView(backend: WasmBackend, info: TensorInfo): HeapArray | null {
  const data = backend.dataIdMap.get(info.dataId);
  const Ctor = VIEW[info.dtype];
  if (data == null || Ctor == null) return null;
  return new Ctor(heapBuffer(backend), data.memoryOffset, util.sizeFromShape(info.shape));
}
