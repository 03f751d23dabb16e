/**
 * `Conv2DBackpropFilter` for the wasm backend (missing from tfjs-backend-wasm 4.22).
 *
 * dW[kh,kw,ci,co] = Σ_pixels x[pixel shifted by (kh,kw), ci] · dy[pixel, co], i.e. the matrix
 * product Pᵀ · dY where P is the im2col matrix of x ([pixels, K = kh*kw*ci]) and dY is dy as
 * [pixels, co]. The product runs on XNNPACK through the backend's `BatchMatMul` (~12 GMAC/s here).
 * XNNPACK re-packs the right operand of every product, at 4-13 ns per element — as much as the
 * arithmetic when that operand is wide — so the narrower of the two goes on the right:
 * - K >= co (3x3 convs): dW = Pᵀ · dY, with Pᵀ built directly (SIMD 4x4 transposes) and dY packed;
 * - K < co (1x1 expansions, the stem): dWᵀ = dYᵀ · P, with P packed and the small result
 *   transposed back. (On the stem, 23 ms -> 12 ms; on a 64->192 1x1 at 8x8, 14 ms -> 5 ms.)
 * Either way the filter comes out in its NHWC layout [kh, kw, ci, co].
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { xnnGemm } from './gemm.js';
import {
  heapAddress,
  MIN_PARALLEL_FLOATS,
  MIN_PARALLEL_WORK,
  runSimdTasks,
  type SimdKernels,
  simdKernels,
  splitRange,
} from './simd-kernels.js';
import { transpose2d } from './transpose2d.js';
import {
  assertFloat32,
  asWasmBackend,
  heapF32,
  runWasmKernel,
  TempTensors,
  type WasmBackend,
} from './wasm-backend.js';

/**
 * Default largest im2col buffer (floats) built at once; bigger problems are split by images and
 * their partial filter gradients summed. 1M floats (4 MiB) keeps both operands of each product
 * near the 2 MiB L2 here: measured 10-20% faster than one big product for the 3x3 layers of
 * MobileNetV4 at batch 64, and it bounds the scratch memory at any input size.
 */
export const MAX_PATCH_FLOATS = 1024 * 1024;

/** Views and heap addresses of x and of the patch matrix (P or Pᵀ) being written. */
interface PatchTarget {
  backend: WasmBackend;
  x: Float32Array;
  patches: Float32Array;
  simd: SimdKernels | null;
  xAddr: number;
  patchesAddr: number;
}

/** One filter tap's valid output window: rows [ohLo, ohHi) x columns [owLo, owHi). */
interface TapWindow {
  kh: number;
  kw: number;
  ohLo: number;
  ohHi: number;
  owLo: number;
  owHi: number;
  /** Input row / column of output (0, 0) for this tap (may be negative: padding). */
  rowOff: number;
  colOff: number;
}

/** The valid window of every tap, and whether any output pixel reads padding. */
function tapWindows(info: backend_util.Conv2DInfo): { taps: TapWindow[]; padded: boolean } {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, strideHeight: SH, strideWidth: SW } = info;
  const taps: TapWindow[] = [];
  let padded = false;
  for (let kh = 0; kh < info.filterHeight; kh++) {
    const rowOff = kh * info.dilationHeight - info.padInfo.top;
    const ohLo = Math.min(OH, Math.max(0, Math.ceil(-rowOff / SH)));
    const ohHi = Math.max(ohLo, Math.min(OH, Math.ceil((H - rowOff) / SH)));
    for (let kw = 0; kw < info.filterWidth; kw++) {
      const colOff = kw * info.dilationWidth - info.padInfo.left;
      const owLo = Math.min(OW, Math.max(0, Math.ceil(-colOff / SW)));
      const owHi = Math.max(owLo, Math.min(OW, Math.ceil((W - colOff) / SW)));
      if (ohLo > 0 || ohHi < OH || owLo > 0 || owHi < OW) padded = true;
      taps.push({ kh, kw, ohLo, ohHi, owLo, owHi, rowOff, colOff });
    }
  }
  return { taps, padded };
}

/**
 * P (or Pᵀ with `transposed`) for images [b0, b0+nb) with the SIMD loops, one task per (tap,
 * image) spread over the kernel threads: the buffer is zeroed first when padding is read, then
 * every tap copies (or transposes) the valid pixels of each output row.
 */
function fillPatchesSimd(
  info: backend_util.Conv2DInfo,
  t: PatchTarget,
  simd: SimdKernels,
  b0: number,
  nb: number,
  transposed: boolean,
): void {
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: SH, strideWidth: SW } = info;
  const K = info.filterHeight * info.filterWidth * CI;
  const npix = nb * OH * OW;
  const { taps, padded } = tapWindows(info);
  if (padded) t.patches.fill(0);
  const tasks: number[][] = [];
  for (const tap of taps) {
    const rows = tap.ohHi - tap.ohLo;
    const pixels = tap.owHi - tap.owLo;
    if (rows <= 0 || pixels <= 0) continue;
    const tapIndex = tap.kh * info.filterWidth + tap.kw;
    for (let b = 0; b < nb; b++) {
      const xRow = (((b0 + b) * H + tap.ohLo * SH + tap.rowOff) * W + tap.owLo * SW + tap.colOff) * CI;
      const pix = (b * OH + tap.ohLo) * OW + tap.owLo;
      if (transposed) {
        tasks.push([
          t.xAddr + 4 * xRow,
          4 * SH * W * CI,
          4 * SW * CI,
          pixels,
          CI,
          t.patchesAddr + 4 * (tapIndex * CI * npix + pix),
          4 * npix,
          4 * OW,
          rows,
        ]);
      } else {
        tasks.push([
          t.xAddr + 4 * xRow,
          4 * SH * W * CI,
          4 * SW * CI,
          t.patchesAddr + 4 * (pix * K + tapIndex * CI),
          4 * OW * K,
          4 * K,
          rows,
          pixels,
          CI,
        ]);
      }
    }
  }
  runSimdTasks(
    t.backend,
    simd,
    transposed ? 'transposeRows' : 'copyRunRows',
    tasks,
    npix * K < MIN_PARALLEL_FLOATS,
  );
}

/**
 * Writes P (row-major [pixels, K]) for images [b0, b0+nb): for each tap and output row, the valid
 * pixels' CI-channel runs of x are copied into that tap's slot of consecutive P rows.
 */
function fillPatches(info: backend_util.Conv2DInfo, t: PatchTarget, b0: number, nb: number): void {
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { dilationHeight: DH, dilationWidth: DW } = info;
  const { x, patches: p, simd } = t;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const K = KH * KW * CI;
  if (KH === 1 && KW === 1 && SH === 1 && SW === 1 && top === 0 && left === 0 && OH === H && OW === W) {
    // Unpadded 1x1 stride 1: P is x itself.
    p.set(x.subarray(b0 * H * W * CI, (b0 + nb) * H * W * CI));
    return;
  }
  if (simd != null) {
    fillPatchesSimd(info, t, simd, b0, nb, false);
    return;
  }
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const tapOff = (kh * KW + kw) * CI;
      const colOff = kw * DW - left;
      const owLo = Math.min(OW, Math.max(0, Math.ceil(-colOff / SW)));
      const owHi = Math.max(owLo, Math.min(OW, Math.ceil((W - colOff) / SW)));
      for (let b = 0; b < nb; b++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH + kh * DH - top;
          const row0 = (b * OH + oh) * OW;
          const lo = ih < 0 || ih >= H ? OW : owLo;
          const hi = ih < 0 || ih >= H ? OW : owHi;
          // Zero padding: this tap's slot of the pixels outside the image.
          for (let ow = 0; ow < lo; ow++) p.fill(0, (row0 + ow) * K + tapOff, (row0 + ow) * K + tapOff + CI);
          for (let ow = hi; ow < OW; ow++) p.fill(0, (row0 + ow) * K + tapOff, (row0 + ow) * K + tapOff + CI);
          if (lo >= hi) continue;
          const xRow = (((b0 + b) * H + ih) * W + lo * SW + colOff) * CI;
          for (let ow = lo, xi = xRow; ow < hi; ow++, xi += SW * CI) {
            const o = (row0 + ow) * K + tapOff;
            for (let ci = 0; ci < CI; ci++) p[o + ci] = x[xi + ci]!;
          }
        }
      }
    }
  }
}

/**
 * Writes Pᵀ for images [b0, b0+nb): row r = (kh*KW + kw)*CI + ci, column = pixel within the chunk.
 * For each tap and output row, the valid pixels form a [pixels x CI] block of x (pixel stride
 * SW*CI) that is transposed into CI rows of Pᵀ: by 4x4 SIMD shuffles when available, else by a JS
 * loop ordered so that the x row segment stays in cache and every write is sequential.
 */
function fillPatchesT(info: backend_util.Conv2DInfo, t: PatchTarget, b0: number, nb: number): void {
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { dilationHeight: DH, dilationWidth: DW } = info;
  const { x, patches: pT, simd } = t;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const npix = nb * OH * OW;
  const xColStep = SW * CI;
  const unpadded = top === 0 && left === 0 && OH === H && OW === W;
  if (simd != null && KH === 1 && KW === 1 && SH === 1 && SW === 1 && unpadded) {
    // Unpadded 1x1 stride 1: Pᵀ is xᵀ, a [pixels x CI] transpose (the per-row calls below would
    // be tiny at MobileNet's small late feature maps), in pixel ranges over the kernel threads.
    const src = t.xAddr + 4 * b0 * H * W * CI;
    const tasks = splitRange(npix, 32, 256).map(([p0, n]) => [
      src + 4 * p0 * CI,
      4 * CI,
      n,
      CI,
      t.patchesAddr + 4 * p0,
      4 * npix,
    ]);
    runSimdTasks(t.backend, simd, 'transposeBlock', tasks, npix * CI < MIN_PARALLEL_FLOATS);
    return;
  }
  if (simd != null) {
    fillPatchesSimd(info, t, simd, b0, nb, true);
    return;
  }
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const rowBase = (kh * KW + kw) * CI;
      const colOff = kw * DW - left;
      // Output columns whose input column is inside the image; the rest are zero padding.
      const owLo = Math.min(OW, Math.max(0, Math.ceil(-colOff / SW)));
      const owHi = Math.max(owLo, Math.min(OW, Math.ceil((W - colOff) / SW)));
      for (let b = 0; b < nb; b++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH + kh * DH - top;
          const pix = (b * OH + oh) * OW;
          if (ih < 0 || ih >= H) {
            for (let ci = 0; ci < CI; ci++) {
              const o = (rowBase + ci) * npix + pix;
              pT.fill(0, o, o + OW);
            }
            continue;
          }
          const xRow = (((b0 + b) * H + ih) * W + owLo * SW + colOff) * CI;
          if (owLo > 0 || owHi < OW) {
            for (let ci = 0; ci < CI; ci++) {
              const o = (rowBase + ci) * npix + pix;
              pT.fill(0, o, o + owLo);
              pT.fill(0, o + owHi, o + OW);
            }
          }
          for (let ci = 0; ci < CI; ci++) {
            const o = (rowBase + ci) * npix + pix;
            let xi = xRow + ci;
            for (let ow = owLo; ow < owHi; ow++, xi += xColStep) pT[o + ow] = x[xi]!;
          }
        }
      }
    }
  }
}

/**
 * Largest filter (patch elements x output channels) taking {@link smallFilterGradient}: the stems
 * (3x3 on 1 or 3 channels into 16-32). Its cost grows with the filter size per pixel, XNNPACK's
 * with the packed operand; measured faster up to about this size.
 */
const SMALL_PRODUCT = 1024;

/** Rows of P per partial sum of {@link smallFilterGradient} (a function of the shape only). */
const ROWS_PER_PARTIAL = 8192;

/**
 * dW = Pᵀ · dY for a small filter with the `gemmTN` SIMD loop: P is built per chunk of images,
 * its rows are split into fixed ranges (each summed into its own float32 block, in parallel), and
 * the blocks are added in float64 in order — the same result for any thread count. No transpose
 * and no XNNPACK packing of the (tall) operands.
 */
function smallFilterGradient(
  backend: WasmBackend,
  simd: SimdKernels,
  temps: TempTensors,
  info: backend_util.Conv2DInfo,
  x: TensorInfo,
  dy: TensorInfo,
  filterShape: readonly number[],
  chunk: number,
): TensorInfo {
  const { batchSize, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const total = new Float64Array(K * CO);
  for (let b0 = 0; b0 < batchSize; b0 += chunk) {
    const nb = Math.min(chunk, batchSize - b0);
    const npix = nb * OH * OW;
    const ranges = splitRange(npix, Math.ceil(npix / ROWS_PER_PARTIAL));
    const p = temps.alloc([npix, K]);
    const acc = temps.alloc([ranges.length * K * CO]);
    fillPatches(info, patchTarget(backend, x, p, simd), b0, nb);
    heapF32(backend, acc).fill(0);
    const pAddr = heapAddress(backend, p.dataId);
    const dyAddr = heapAddress(backend, dy.dataId) + 4 * b0 * OH * OW * CO;
    const accAddr = heapAddress(backend, acc.dataId);
    const tasks = ranges.map(([r0, n], i) => [
      pAddr + 4 * r0 * K,
      dyAddr + 4 * r0 * CO,
      n,
      K,
      CO / 4,
      accAddr + 4 * i * K * CO,
    ]);
    runSimdTasks(backend, simd, 'gemmTN', tasks, npix * K * CO < MIN_PARALLEL_WORK);
    const a = heapF32(backend, acc);
    for (let i = 0; i < ranges.length; i++) {
      for (let j = 0; j < K * CO; j++) total[j]! += a[i * K * CO + j]!;
    }
    temps.dispose(p, acc);
  }
  const out = backend.makeOutput([...filterShape], 'float32');
  heapF32(backend, out).set(total);
  return out;
}

/**
 * Builds the kernel config. `maxPatchFloats` bounds the im2col buffer (tests lower it to exercise
 * the image-chunked path).
 */
export function makeConv2DBackpropFilterConfig(maxPatchFloats = MAX_PATCH_FLOATS): KernelConfig {
  return { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: makeKernel(maxPatchFloats) };
}

/** Views and addresses of `x` and a patch buffer, taken after the last allocation. */
function patchTarget(
  backend: WasmBackend,
  x: TensorInfo,
  buf: TensorInfo,
  simd: SimdKernels | null,
): PatchTarget {
  return {
    backend,
    x: heapF32(backend, x),
    patches: heapF32(backend, buf),
    simd,
    xAddr: heapAddress(backend, x.dataId),
    patchesAddr: heapAddress(backend, buf.dataId),
  };
}

/** The kernel function, splitting work so that no patch matrix exceeds `maxPatchFloats`. */
function makeKernel(maxPatchFloats: number): KernelFunc {
  return (args) => {
    const backend = asWasmBackend(args.backend);
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    const temps = new TempTensors(backend);
    try {
      let x = args.inputs.x as TensorInfo;
      let dy = args.inputs.dy as TensorInfo;
      assertFloat32(Conv2DBackpropFilter, x, dy);
      if (attrs.dataFormat === 'NCHW') {
        // XNNPACK and the loops below are NHWC; NCHW is rare enough to just transpose.
        const perm = { perm: [0, 2, 3, 1] };
        x = temps.keep(runWasmKernel('Transpose', { x }, perm, backend));
        dy = temps.keep(runWasmKernel('Transpose', { x: dy }, perm, backend));
      }
      const info = backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        attrs.filterShape,
        attrs.strides,
        1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      const { batchSize, outHeight: OH, outWidth: OW, outChannels: CO } = info;
      const rowsK = info.filterHeight * info.filterWidth * info.inChannels;
      if (batchSize * OH * OW === 0) {
        // Nothing reaches the filter: its gradient is zero (and XNNPACK rejects empty products).
        const zeros = backend.makeOutput([...attrs.filterShape], 'float32');
        heapF32(backend, zeros).fill(0);
        return zeros;
      }
      const perImage = rowsK * OH * OW;
      const chunk = Math.max(1, Math.min(batchSize, Math.floor(maxPatchFloats / Math.max(1, perImage))));
      // Pack the narrower operand (see the module comment): P when K < co, else dY.
      const packPatches = rowsK < CO;
      const simd = simdKernels(backend);
      if (simd != null && packPatches && CO % 4 === 0 && rowsK * CO <= SMALL_PRODUCT) {
        return smallFilterGradient(backend, simd, temps, info, x, dy, attrs.filterShape, chunk);
      }
      let acc: TensorInfo | null = null;
      for (let b0 = 0; b0 < batchSize; b0 += chunk) {
        const nb = Math.min(chunk, batchSize - b0);
        const npix = nb * OH * OW;
        // Every right operand is a fresh tensor: XNNPACK caches its packed copy under the tensor id.
        let part: TensorInfo;
        if (packPatches) {
          const dyT = temps.alloc([CO, npix]);
          const p = temps.alloc([npix, rowsK]);
          transpose2d(backend, dy, b0 * OH * OW * CO, npix, CO, dyT);
          fillPatches(info, patchTarget(backend, x, p, simd), b0, nb);
          part = temps.keep(xnnGemm(backend, dyT, p));
          temps.dispose(dyT, p);
        } else {
          const pT = temps.alloc([rowsK, npix]);
          const dyChunk = temps.alloc([npix, CO]);
          fillPatchesT(info, patchTarget(backend, x, pT, simd), b0, nb);
          const dyAll = heapF32(backend, dy);
          heapF32(backend, dyChunk).set(dyAll.subarray(b0 * OH * OW * CO, (b0 + nb) * OH * OW * CO));
          part = temps.keep(xnnGemm(backend, pT, dyChunk));
          temps.dispose(pT, dyChunk);
        }
        if (acc == null) {
          acc = part;
        } else {
          const a = heapF32(backend, acc);
          const p = heapF32(backend, part);
          for (let i = 0; i < a.length; i++) a[i]! += p[i]!;
          temps.dispose(part);
        }
      }
      if (acc == null) throw new Error('Conv2DBackpropFilter (wasm): no chunk was computed');
      if (packPatches) {
        // acc is dWᵀ [co, K].
        const out = backend.makeOutput([...attrs.filterShape], 'float32');
        transpose2d(backend, acc, 0, CO, rowsK, out);
        return out;
      }
      temps.release(acc);
      // Same data, viewed with the filter's 4-D shape (row-major [kh*kw*ci, co] == [kh, kw, ci, co]).
      return { dataId: acc.dataId, shape: [...attrs.filterShape], dtype: 'float32' };
    } finally {
      temps.disposeAll();
    }
  };
}

/** Kernel config registering `Conv2DBackpropFilter` for the `wasm` backend. */
export const conv2DBackpropFilterConfig: KernelConfig = makeConv2DBackpropFilterConfig();
