/**
 * Minimal, typed access to the internals of `@tensorflow/tfjs-backend-wasm` that the training
 * kernels need: tensor storage on the wasm heap, output allocation and calling the backend's own
 * (XNNPACK-backed) kernels.
 *
 * The wasm backend does not export these types publicly, so they are described here structurally
 * and checked at runtime once per kernel call.
 */
import {
  type DataType,
  getKernel,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

/** Per-tensor record the wasm backend keeps in its `dataIdMap`. */
export interface WasmTensorData {
  /** Id shared with the C++ side (and used as XNNPACK operator cache key). */
  id: number;
  /** Byte offset of the tensor's data in the wasm heap. */
  memoryOffset: number;
  /** Shape the tensor was allocated with. */
  shape: number[];
  /** Element type. */
  dtype: DataType;
}

/** The subset of `BackendWasm` used by the kernels in this folder. */
export interface WasmBackend {
  /** Storage of tensor records, keyed by `TensorInfo.dataId`. */
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  /** Allocates an (uninitialised) tensor on the wasm heap. */
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** Decrements the ref count of a tensor and frees it when it reaches zero. */
  disposeData(dataId: object, force?: boolean): boolean;
  /**
   * The emscripten module; its heap buffer is replaced when memory grows. The threaded build
   * also exposes its shared `wasmMemory`, whose `buffer` is current even when another thread grew
   * the memory (`HEAPU8` is only refreshed by the thread that grew it).
   */
  wasm: { HEAPU8: Uint8Array; wasmMemory?: { readonly buffer: ArrayBufferLike } };
}

/** The heap's current buffer: the shared memory's own when there is one, else `HEAPU8`'s. */
export function heapBuffer(backend: WasmBackend): ArrayBufferLike {
  return backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer;
}

/**
 * Narrows the `backend` a kernel receives to the wasm backend's shape.
 * @throws Error when called with another backend.
 */
export function asWasmBackend(backend: unknown): WasmBackend {
  const b = backend as Partial<WasmBackend> | null;
  if (
    b == null ||
    typeof b.makeOutput !== 'function' ||
    typeof b.disposeData !== 'function' ||
    b.dataIdMap == null ||
    b.wasm?.HEAPU8 == null
  ) {
    throw new Error('wasm training kernels: expected the tfjs wasm backend');
  }
  return b as WasmBackend;
}

/**
 * A `Float32Array` view of a float32 tensor's data on the wasm heap.
 *
 * Views are invalidated whenever the heap grows (any allocation may grow it), so take them only
 * after the last allocation or call into another kernel, and never keep them across such calls.
 */
export function heapF32(backend: WasmBackend, info: TensorInfo): Float32Array {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) throw new Error('wasm training kernels: tensor is not on the wasm backend');
  if (data.dtype !== 'float32') {
    throw new Error(`wasm training kernels: expected a float32 tensor, got ${data.dtype}`);
  }
  return new Float32Array(heapBuffer(backend), data.memoryOffset, util.sizeFromShape(info.shape));
}

/** Throws unless every tensor is float32; the gradient kernels are float32-only, like XNNPACK. */
export function assertFloat32(kernel: string, ...infos: TensorInfo[]): void {
  for (const info of infos) {
    if (info.dtype !== 'float32') {
      throw new Error(`${kernel} (wasm): only float32 is supported, got ${info.dtype}`);
    }
  }
}

/**
 * Runs one of the wasm backend's own registered kernels (e.g. `Conv2D`, `BatchMatMul`) and returns
 * its output. The caller owns the result and must dispose it (or return it).
 */
export function runWasmKernel(
  kernelName: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
  backend: WasmBackend,
): TensorInfo {
  const config = getKernel(kernelName, 'wasm');
  if (config == null) throw new Error(`wasm training kernels: wasm kernel '${kernelName}' is missing`);
  const out = config.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(out)) throw new Error(`wasm training kernels: '${kernelName}' returned several outputs`);
  return out;
}

/**
 * Collects temporary tensors allocated inside a kernel so they can all be released in a `finally`
 * block, whether the kernel succeeds or throws.
 */
export class TempTensors {
  private readonly infos: TensorInfo[] = [];

  /** @param backend the backend that allocated (and will free) the temporaries */
  constructor(private readonly backend: WasmBackend) {}

  /** Allocates an uninitialised float32 temporary. */
  alloc(shape: number[]): TensorInfo {
    return this.keep(this.backend.makeOutput(shape, 'float32'));
  }

  /** Registers an existing tensor (e.g. a kernel output) for disposal. */
  keep(info: TensorInfo): TensorInfo {
    this.infos.push(info);
    return info;
  }

  /** Removes a tensor from the disposal list (when it becomes the kernel's output). */
  release(info: TensorInfo): TensorInfo {
    const i = this.infos.indexOf(info);
    if (i >= 0) this.infos.splice(i, 1);
    return info;
  }

  /** Frees the given temporaries now (and forgets them). */
  dispose(...infos: TensorInfo[]): void {
    for (const info of infos) {
      this.release(info);
      this.backend.disposeData(info.dataId);
    }
  }

  /** Frees every temporary still registered. */
  disposeAll(): void {
    for (const info of this.infos.splice(0)) this.backend.disposeData(info.dataId);
  }
}
