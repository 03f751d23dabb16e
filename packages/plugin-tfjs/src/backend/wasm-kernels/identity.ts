/**
 * `Identity` for the wasm backend that shares the input's buffer instead of copying it.
 *
 * tfjs-core's engine clones (via `Identity`) every tensor it saves for the backward pass. The stock
 * wasm kernel copies the data each time (1300+ copies, ~40 ms per MobileNetV4 train step at batch
 * 64), while the cpu and webgl backends just add a reference. Sharing is safe for the same reason
 * it is for the wasm backend's own `Reshape`: tensor data is immutable once a kernel returns it.
 */
import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/** What this kernel needs from the backend: reference counting. */
interface RefCountingBackend {
  incRef(dataId: object): void;
}

/** Builds the kernel config; `stock` (the copying wasm kernel) still handles string tensors. */
export function makeIdentityConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const backend = args.backend as Partial<RefCountingBackend>;
    if ((x.dtype === 'string' || typeof backend.incRef !== 'function') && stock != null) {
      return stock.kernelFunc(args);
    }
    (backend as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return {
    kernelName: Identity,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
