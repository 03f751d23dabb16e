/**
 * `FusedBatchNorm` (normalisation with given statistics) for the wasm backend.
 *
 * Training runs it on every batch-norm layer with per-channel mean / variance / scale / offset.
 * The stock kernel costs ~4 ns/element here, one of the larger items of a MobileNet train step.
 * With per-channel parameters and a channel count divisible by 4, this folds them into
 * `a = scale / sqrt(variance + eps)` (float64, then float32) and runs `(x - mean) * a + offset` as
 * wasm SIMD. Subtracting the mean first keeps the float32 rounding of the stock formula (no
 * cancellation when |mean| is large). Everything else goes to the stock kernel.
 */
import {
  FusedBatchNorm,
  type FusedBatchNormAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { heapAddress, simdKernels } from './simd-kernels.js';
import { asWasmBackend, heapF32 } from './wasm-backend.js';

/** Builds the kernel config; `stock` handles every case the SIMD path does not. */
export function makeFusedBatchNormConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
    const { varianceEpsilon } = args.attrs as unknown as FusedBatchNormAttrs;
    const backend = asWasmBackend(args.backend);
    const channels = x?.shape[x.shape.length - 1] ?? 0;
    const perChannel = (t: TensorInfo | undefined): boolean =>
      t == null || (t.dtype === 'float32' && util.sizeFromShape(t.shape) === channels);
    const simd =
      x != null &&
      x.dtype === 'float32' &&
      channels % 4 === 0 &&
      channels > 0 &&
      util.sizeFromShape(x.shape) > 0
        ? simdKernels(backend)
        : null;
    if (
      simd == null ||
      x == null ||
      mean == null ||
      variance == null ||
      ![mean, variance, offset, scale].every(perChannel)
    ) {
      if (stock == null) throw new Error('FusedBatchNorm (wasm): unsupported inputs');
      return stock.kernelFunc(args);
    }
    const out = backend.makeOutput(x.shape, 'float32');
    const params = backend.makeOutput([3 * channels], 'float32');
    try {
      const m = heapF32(backend, mean);
      const v = heapF32(backend, variance);
      const off = offset != null ? heapF32(backend, offset) : null;
      const sc = scale != null ? heapF32(backend, scale) : null;
      const pv = heapF32(backend, params);
      // Interleaved per 4-channel group: 4 means, 4 multipliers, 4 offsets.
      for (let c = 0; c < channels; c++) {
        const base = (c >> 2) * 12 + (c & 3);
        pv[base] = m[c]!;
        pv[base + 4] = (sc != null ? sc[c]! : 1) / Math.sqrt(v[c]! + varianceEpsilon);
        pv[base + 8] = off != null ? off[c]! : 0;
      }
      const pixels = util.sizeFromShape(x.shape) / channels;
      simd.affineChannels(
        heapAddress(backend, x.dataId),
        heapAddress(backend, out.dataId),
        pixels,
        channels / 4,
        heapAddress(backend, params.dataId),
      );
    } finally {
      backend.disposeData(params.dataId);
    }
    return out;
  };
  return {
    kernelName: FusedBatchNorm,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
