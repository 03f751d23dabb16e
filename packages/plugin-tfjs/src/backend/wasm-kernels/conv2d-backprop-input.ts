/**
 * `Conv2DBackpropInput` for the wasm backend, replacing the stock one.
 *
 * tfjs-backend-wasm 4.22 does ship this kernel, but as a scalar C++ loop: ~10x slower than the
 * forward conv (138 ms vs 13 ms for a 3x3/s2 32->32 conv at batch 64, 32x32). Here dx is computed
 * by `transposedConvByPhases`: stride-1 XNNPACK convs of dy with the flipped, in/out-transposed
 * filter (one per stride phase), so it runs at forward-conv speed. Unpadded 1x1 stride-1 convs
 * (most of a MobileNet) are one XNNPACK matrix product instead: the conv operator would transpose
 * the filter once more in C++ (~7 ns/element), which dominates for wide 1x1 layers.
 */
import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { xnnGemm } from './gemm.js';
import { planAxisPhases } from './phase-plan.js';
import { transpose2d } from './transpose2d.js';
import { transposedConvByPhases } from './transposed-conv.js';
import { assertFloat32, asWasmBackend, heapF32, TempTensors, type WasmBackend } from './wasm-backend.js';

/** `src` ([rows, cols]) transposed into a new temporary `[cols, rows]` tensor. */
function transposed(
  backend: WasmBackend,
  temps: TempTensors,
  src: TensorInfo,
  rows: number,
  cols: number,
): TensorInfo {
  const dst = temps.alloc([cols, rows]);
  transpose2d(backend, src, 0, rows, cols, dst);
  return dst;
}

/**
 * dx for an unpadded 1x1 stride-1 conv, as one XNNPACK product in the cheaper orientation:
 * dx = dY · Wᵀ ([pixels, co] · [co, ci]) packs Wᵀ, while dxᵀ = W · dYᵀ packs dYᵀ and transposes the
 * result. Packing and transposing cost about the same per element, so the second wins when the
 * batch has few pixels and the filter is wide (e.g. a 960->1280 head at 1x1: 17 ms -> 7 ms).
 */
function pointwiseInputGrad(
  backend: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { inChannels: ci, outChannels: co } = info;
  const pixels = dy.shape[0]! * dy.shape[1]! * dy.shape[2]!;
  const temps = new TempTensors(backend);
  try {
    if (pixels * (2 * co + ci) >= 2 * ci * co) {
      const wT = transposed(backend, temps, filter, ci, co);
      const out = xnnGemm(backend, { dataId: dy.dataId, shape: [pixels, co], dtype: 'float32' }, wT);
      return { dataId: out.dataId, shape: [...info.inShape], dtype: 'float32' };
    }
    const dyT = transposed(backend, temps, dy, pixels, co);
    const dxT = temps.keep(
      xnnGemm(backend, { dataId: filter.dataId, shape: [ci, co], dtype: 'float32' }, dyT),
    );
    const dx = transposed(backend, temps, dxT, ci, pixels);
    temps.release(dx);
    return { dataId: dx.dataId, shape: [...info.inShape], dtype: 'float32' };
  } finally {
    temps.disposeAll();
  }
}

/**
 * Builds the kernel config. `original` is the wasm backend's own kernel, used for NCHW data
 * (rare; XNNPACK is NHWC-only) so that behaviour there is unchanged.
 */
export function makeConv2DBackpropInputConfig(original: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    if (attrs.dataFormat === 'NCHW') {
      if (original == null) throw new Error('Conv2DBackpropInput (wasm): NCHW is not supported');
      return original.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    assertFloat32(Conv2DBackpropInput, dy, filter);
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const { inChannels: ci, outChannels: co, filterWidth: kw, padInfo: p } = info;
    if (
      info.filterHeight === 1 &&
      kw === 1 &&
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      p.top === 0 &&
      p.bottom === 0 &&
      p.left === 0 &&
      p.right === 0
    ) {
      return pointwiseInputGrad(backend, dy, filter, info);
    }
    const rows = planAxisPhases(
      info.inHeight,
      info.outHeight,
      info.filterHeight,
      info.strideHeight,
      1,
      info.padInfo.top,
    );
    const cols = planAxisPhases(info.inWidth, info.outWidth, kw, info.strideWidth, 1, info.padInfo.left);
    return transposedConvByPhases(backend, dy, info.inShape, rows, cols, {
      kernel: 'Conv2D',
      // The phase conv maps dy's co channels to dx's ci channels: filter [th, tw, co, ci].
      filterShape: (th, tw) => [th, tw, co, ci],
      fillFilter: (rowTaps, colTaps, dst) => {
        const w = heapF32(backend, filter);
        let o = 0;
        for (const kh of rowTaps) {
          for (const kwTap of colTaps) {
            const base = (kh * kw + kwTap) * ci * co;
            for (let c2 = 0; c2 < co; c2++) {
              for (let c1 = 0; c1 < ci; c1++) dst[o++] = w[base + c1 * co + c2]!;
            }
          }
        }
      },
    });
  };
  return {
    kernelName: Conv2DBackpropInput,
    backendName: 'wasm',
    // Keep the original's setup (it binds its C++ entry point), needed for the NCHW delegation.
    ...(original?.setupFunc ? { setupFunc: original.setupFunc } : {}),
    kernelFunc,
  };
}
