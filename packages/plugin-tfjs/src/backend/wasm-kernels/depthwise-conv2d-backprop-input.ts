/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend (missing from tfjs-backend-wasm 4.22).
 *
 * Channel multiplier 1 (every MobileNet):
 * - stride 1: dx is one depthwise conv of dy with the spatially flipped filter, run through the
 *   backend's XNNPACK depthwise kernel (see `phase-plan.ts`), about as fast as the forward conv;
 * - stride > 1: a gather loop. Splitting into stride phases would need s² XNNPACK operators per
 *   call (operator creation, odd tap counts, interleaving), measured 3-6x slower than even a JS
 *   loop at MobileNet shapes. Per dx pixel the loop lists the taps that reach it and sums 8 channels
 *   at a time: wasm SIMD (`simd-kernels.ts`) when available, else JS with the sums in registers.
 * Other multipliers use a plain NHWC scatter loop.
 */
import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { planAxisPhases } from './phase-plan.js';
import { heapAddress, MIN_PARALLEL_WORK, runSimdTasks, simdKernels, splitRange } from './simd-kernels.js';
import { transposedConvByPhases } from './transposed-conv.js';
import { assertFloat32, asWasmBackend, heapBuffer, heapF32, type WasmBackend } from './wasm-backend.js';

const depthwiseConv2dNativeBackpropInput: KernelFunc = (args) => {
  const backend = asWasmBackend(args.backend);
  const attrs = args.attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const dy = args.inputs.dy as TensorInfo;
  const filter = args.inputs.filter as TensorInfo;
  assertFloat32(DepthwiseConv2dNativeBackpropInput, dy, filter);
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  if (info.outChannels !== info.inChannels) return depthwiseInputGradLoop(backend, dy, filter, info);
  if (info.strideHeight > 1 || info.strideWidth > 1) {
    return depthwiseInputGradGather(backend, dy, filter, info);
  }
  const rows = planAxisPhases(
    info.inHeight,
    info.outHeight,
    info.filterHeight,
    info.strideHeight,
    info.dilationHeight,
    info.padInfo.top,
  );
  const cols = planAxisPhases(
    info.inWidth,
    info.outWidth,
    info.filterWidth,
    info.strideWidth,
    info.dilationWidth,
    info.padInfo.left,
  );
  const channels = info.inChannels;
  const kw = info.filterWidth;
  return transposedConvByPhases(backend, dy, info.inShape, rows, cols, {
    kernel: 'DepthwiseConv2dNative',
    filterShape: (th, tw) => [th, tw, channels, 1],
    fillFilter: (rowTaps, colTaps, dst) => {
      const w = heapF32(backend, filter);
      let o = 0;
      for (const kh of rowTaps) {
        for (const kwTap of colTaps) {
          const base = (kh * kw + kwTap) * channels;
          for (let c = 0; c < channels; c++) dst[o++] = w[base + c]!;
        }
      }
    },
  });
};

/**
 * Lists, for each dx row (or column) `i`, the filter taps `k` and dy rows `o` with
 * `o*stride + k*dilation - pad == i`, as flat arrays `[i*kernel + n]` plus a count per `i`.
 */
function tapsPerIndex(
  inSize: number,
  outSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  pad: number,
): { k: Int32Array; o: Int32Array; n: Int32Array } {
  const k = new Int32Array(inSize * kernel);
  const o = new Int32Array(inSize * kernel);
  const n = new Int32Array(inSize);
  for (let i = 0; i < inSize; i++) {
    let count = 0;
    for (let t = 0; t < kernel; t++) {
      const num = i + pad - t * dilation;
      if (num < 0 || num % stride !== 0) continue;
      const oi = num / stride;
      if (oi >= outSize) continue;
      k[i * kernel + count] = t;
      o[i * kernel + count] = oi;
      count++;
    }
    n[i] = count;
  }
  return { k, o, n };
}

/**
 * dx[b, i, j, c..c+8) = Σ over the taps listed for pixel (i, j) of dy[tap pixel] * w[tap], for
 * every 8-channel block below `cEnd`; the remaining channels one by one. `dyOff` / `wOff` hold the
 * `taps` channel-0 offsets of this pixel's taps.
 */
function gatherPixel(
  dyv: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  out: number,
  dyOff: Int32Array,
  wOff: Int32Array,
  taps: number,
  channels: number,
): void {
  let c = 0;
  for (; c + 8 <= channels; c += 8) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let t = 0; t < taps; t++) {
      const yi = dyOff[t]! + c;
      const wi = wOff[t]! + c;
      s0 += dyv[yi]! * w[wi]!;
      s1 += dyv[yi + 1]! * w[wi + 1]!;
      s2 += dyv[yi + 2]! * w[wi + 2]!;
      s3 += dyv[yi + 3]! * w[wi + 3]!;
      s4 += dyv[yi + 4]! * w[wi + 4]!;
      s5 += dyv[yi + 5]! * w[wi + 5]!;
      s6 += dyv[yi + 6]! * w[wi + 6]!;
      s7 += dyv[yi + 7]! * w[wi + 7]!;
    }
    const o = out + c;
    dx[o] = s0;
    dx[o + 1] = s1;
    dx[o + 2] = s2;
    dx[o + 3] = s3;
    dx[o + 4] = s4;
    dx[o + 5] = s5;
    dx[o + 6] = s6;
    dx[o + 7] = s7;
  }
  for (; c < channels; c++) {
    let s = 0;
    for (let t = 0; t < taps; t++) s += dyv[dyOff[t]! + c]! * w[wOff[t]! + c]!;
    dx[out + c] = s;
  }
}

/** Channels [from, to) of one dx pixel, one at a time (tail of the SIMD blocks). */
function gatherTail(
  dyv: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  out: number,
  dyOff: Int32Array,
  wOff: Int32Array,
  taps: number,
  from: number,
  to: number,
): void {
  for (let c = from; c < to; c++) {
    let s = 0;
    for (let t = 0; t < taps; t++) s += dyv[dyOff[t]! + c]! * w[wOff[t]! + c]!;
    dx[out + c] = s;
  }
}

/** Gather loop for multiplier 1 and stride > 1 (see the module comment). */
function depthwiseInputGradGather(
  backend: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const rows = tapsPerIndex(
    inHeight,
    outHeight,
    kh,
    info.strideHeight,
    info.dilationHeight,
    info.padInfo.top,
  );
  const cols = tapsPerIndex(inWidth, outWidth, kw, info.strideWidth, info.dilationWidth, info.padInfo.left);
  const pixels = inHeight * inWidth;
  // The SIMD loop does 8-channel blocks; it reads one image's per-pixel tap lists from the heap:
  // [out address, tap count, (dy address, w address) x taps] per pixel.
  const simd = channels >= 8 ? simdKernels(backend) : null;
  const listLength = pixels * (2 + 2 * kh * kw);
  const list = simd != null ? backend.makeOutput([listLength], 'int32') : null;
  const out = backend.makeOutput(info.inShape, 'float32');
  try {
    const dx = heapF32(backend, out);
    const dyv = heapF32(backend, dy);
    const w = heapF32(backend, filter);
    const dyAddr = heapAddress(backend, dy.dataId);
    const wAddr = heapAddress(backend, filter.dataId);
    const outAddr = heapAddress(backend, out.dataId);
    const listAddr = list != null ? heapAddress(backend, list.dataId) : 0;
    const listV = list != null ? new Int32Array(heapBuffer(backend), listAddr, listLength) : null;
    const blocks = simd != null ? channels >> 3 : 0;
    const dyOff = new Int32Array(kh * kw);
    const wOff = new Int32Array(kh * kw);
    // With SIMD the list describes image 0 only (the loop shifts dy and dx per image) and the
    // images are spread over the kernel threads; JS then only computes the channels past the last
    // 8-block. Without SIMD, every image in JS.
    const jsImages = listV == null || blocks * 8 < channels ? batchSize : 0;
    for (let b = 0; b < Math.max(jsImages, listV != null ? 1 : 0); b++) {
      let l = 0;
      for (let i = 0; i < inHeight; i++) {
        const nr = rows.n[i]!;
        for (let j = 0; j < inWidth; j++) {
          const nc = cols.n[j]!;
          let taps = 0;
          for (let r = 0; r < nr; r++) {
            const ri = i * kh + r;
            const dyRow = (b * outHeight + rows.o[ri]!) * outWidth;
            const wRow = rows.k[ri]! * kw;
            for (let q = 0; q < nc; q++, taps++) {
              const ci = j * kw + q;
              dyOff[taps] = (dyRow + cols.o[ci]!) * channels;
              wOff[taps] = (wRow + cols.k[ci]!) * channels;
            }
          }
          const pixOut = ((b * inHeight + i) * inWidth + j) * channels;
          if (listV != null) {
            if (b === 0) {
              listV[l++] = outAddr + 4 * pixOut;
              listV[l++] = taps;
              for (let t = 0; t < taps; t++) {
                listV[l++] = dyAddr + 4 * dyOff[t]!;
                listV[l++] = wAddr + 4 * wOff[t]!;
              }
            }
            // Channels past the last 8-block, in JS.
            if (blocks * 8 < channels)
              gatherTail(dyv, w, dx, pixOut, dyOff, wOff, taps, blocks * 8, channels);
          } else {
            gatherPixel(dyv, w, dx, pixOut, dyOff, wOff, taps, channels);
          }
        }
      }
    }
    if (simd != null && listV != null) {
      const dyImage = 4 * outHeight * outWidth * channels;
      const outImage = 4 * pixels * channels;
      const tasks = splitRange(batchSize, 32).map(([b, n]) => [
        listAddr,
        pixels,
        blocks,
        b,
        n,
        dyImage,
        outImage,
      ]);
      runSimdTasks(
        backend,
        simd,
        'dwGatherImages',
        tasks,
        batchSize * pixels * channels * kh * kw < MIN_PARALLEL_WORK,
      );
    }
  } finally {
    if (list != null) backend.disposeData(list.dataId);
  }
  return out;
}

/** Direct NHWC loop for channel multipliers > 1 (not expressible as one XNNPACK depthwise conv). */
function depthwiseInputGradLoop(
  backend: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const mult = outChannels / inChannels;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = backend.makeOutput(info.inShape, 'float32');
  const dx = heapF32(backend, out);
  const dyv = heapF32(backend, dy);
  const w = heapF32(backend, filter);
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyo = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kwi = 0; kwi < filterWidth; kwi++) {
            const iw = ow * strideWidth + kwi * dilationWidth - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xo = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wo = (kh * filterWidth + kwi) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              let s = 0;
              const base = c * mult;
              for (let q = 0; q < mult; q++) s += dyv[dyo + base + q]! * w[wo + base + q]!;
              dx[xo + c]! += s;
            }
          }
        }
      }
    }
  }
  return out;
}

/** Kernel config registering `DepthwiseConv2dNativeBackpropInput` for the `wasm` backend. */
export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
