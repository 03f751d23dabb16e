/**
 * `Cast` for the wasm backend that shares the buffer when the dtype does not change.
 *
 * The gradient of every tensor the engine saves for backprop (see `identity.ts`) is a float32→float32
 * `Cast` of dy. The stock wasm kernel always copies (~140 full-size copies per MobileNetV4 train
 * step); the cpu backend returns the input for same-dtype casts, and so does this. Real
 * conversions go to the stock kernel.
 */
import {
  Cast,
  type CastAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/** What this kernel needs from the backend: reference counting. */
interface RefCountingBackend {
  incRef(dataId: object): void;
}

/** Builds the kernel config; `stock` (the copying / converting wasm kernel) handles dtype changes. */
export function makeCastConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { dtype } = args.attrs as unknown as CastAttrs;
    const backend = args.backend as Partial<RefCountingBackend>;
    if (dtype === x.dtype && x.dtype !== 'string' && typeof backend.incRef === 'function') {
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype };
    }
    if (stock == null) throw new Error(`Cast (wasm): cannot cast ${x.dtype} to ${dtype}`);
    return stock.kernelFunc(args);
  };
  return {
    kernelName: Cast,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
