/**
 * `MaxPoolGrad` for the wasm backend, replacing the stock one (~25 ms for a 2x2 / stride-2 pool of
 * [64, 28, 28, 32]).
 *
 * One pass over the pooling windows: per window and channel, the first position holding the strict
 * maximum of the input (the cpu backend's rule, so ties and NaNs resolve the same way) receives the
 * window's dy, accumulated into a zeroed dx (overlapping windows add up). Windows of an output row
 * that see the same taps — all but the clipped ones at the borders — run as one call of a wasm SIMD
 * loop over 4 channels at a time, with a JS loop for the remaining channels and when SIMD is off.
 */
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { heapAddress, simdKernels } from './simd-kernels.js';
import { asWasmBackend, heapBuffer, heapF32, TempTensors } from './wasm-backend.js';

/** Windows with more taps than this go to the stock kernel (the tap list is a small scratch). */
const MAX_TAPS = 64;

/** Consecutive output columns whose windows cover the same filter columns [c0, c1). */
interface ColumnRun {
  ow0: number;
  ow1: number;
  c0: number;
  c1: number;
}

/** Splits the output columns into runs of windows clipped the same way by the image edges. */
function columnRuns(info: backend_util.Conv2DInfo): ColumnRun[] {
  const runs: ColumnRun[] = [];
  const { outWidth: OW, inWidth: W, strideWidth: SW, effectiveFilterWidth: FW } = info;
  for (let ow = 0; ow < OW; ow++) {
    const cc = ow * SW - info.padInfo.left;
    const c0 = Math.max(0, -cc);
    const c1 = Math.min(FW, W - cc);
    const last = runs[runs.length - 1];
    if (last != null && last.c0 === c0 && last.c1 === c1) last.ow1 = ow + 1;
    else runs.push({ ow0: ow, ow1: ow + 1, c0, c1 });
  }
  return runs.filter((r) => r.c0 < r.c1);
}

/** Builds the kernel config; `stock` handles non-float32 tensors and very large windows. */
export function makeMaxPoolGradConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const dy = args.inputs.dy as TensorInfo;
    const input = args.inputs.input as TensorInfo;
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { effectiveFilterHeight: FH, effectiveFilterWidth: FW } = info;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || FH * FW > MAX_TAPS) {
      if (stock == null) throw new Error('MaxPoolGrad (wasm): unsupported case');
      return stock.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
    const { strideHeight: SH, strideWidth: SW } = info;
    const dx = backend.makeOutput([...input.shape], 'float32');
    const temps = new TempTensors(backend);
    try {
      const tapsInfo = temps.keep(backend.makeOutput([MAX_TAPS], 'int32'));
      // Views after the last allocation.
      const xv = heapF32(backend, input);
      const dyv = heapF32(backend, dy);
      const dxv = heapF32(backend, dx);
      dxv.fill(0);
      if (xv.length === 0 || dyv.length === 0) return dx;
      const simd = simdKernels(backend);
      const groups = simd != null ? C >> 2 : 0;
      const tapsAddr = heapAddress(backend, tapsInfo.dataId);
      const tapsView = new Int32Array(heapBuffer(backend), tapsAddr, MAX_TAPS);
      const xAddr = heapAddress(backend, input.dataId);
      const dyAddr = heapAddress(backend, dy.dataId);
      const dxAddr = heapAddress(backend, dx.dataId);
      const offs = new Int32Array(MAX_TAPS);
      const runs = columnRuns(info);
      for (let b = 0; b < B; b++) {
        for (let oh = 0; oh < OH; oh++) {
          const rc = oh * SH - info.padInfo.top;
          const r0 = Math.max(0, -rc);
          const r1 = Math.min(FH, H - rc);
          if (r0 >= r1) continue;
          for (const run of runs) {
            // Taps of these windows in scan order, as float offsets from the window's corner.
            let n = 0;
            for (let wr = r0; wr < r1; wr++) {
              for (let wc = run.c0; wc < run.c1; wc++) offs[n++] = (wr * W + wc) * C;
            }
            // Float index of the first window's corner (may lie in the padding) and of its dy.
            const corner = ((b * H + rc) * W + run.ow0 * SW - info.padInfo.left) * C;
            const dy0 = ((b * OH + oh) * OW + run.ow0) * C;
            const windows = run.ow1 - run.ow0;
            if (groups > 0) {
              for (let t = 0; t < n; t++) tapsView[t] = 4 * offs[t]!;
              simd!.maxPoolGradRun(
                xAddr + 4 * corner,
                dyAddr + 4 * dy0,
                dxAddr + 4 * corner,
                windows,
                4 * SW * C,
                4 * C,
                groups,
                tapsAddr,
                n,
              );
            }
            // Channels not covered by the SIMD loop (all of them without it).
            for (let w = 0; w < windows; w++) {
              const xb = corner + w * SW * C;
              const yb = dy0 + w * C;
              for (let c = 4 * groups; c < C; c++) {
                let best = Number.NEGATIVE_INFINITY;
                let pos = -1;
                for (let t = 0; t < n; t++) {
                  const v = xv[xb + offs[t]! + c]!;
                  if (v > best) {
                    best = v;
                    pos = offs[t]!;
                  }
                }
                if (pos >= 0) dxv[xb + pos + c]! += dyv[yb + c]!;
              }
            }
          }
        }
      }
      return dx;
    } catch (err) {
      backend.disposeData(dx.dataId);
      throw err;
    } finally {
      temps.disposeAll();
    }
  };
  return {
    kernelName: MaxPoolGrad,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
