import type { Interpolation, ResizeRecipe } from '@mlops/core';

/**
 * Square "cover" resizing of 8-bit HWC pixels, in JavaScript so every decode path (the PNG fast
 * path and sharp) resamples the same way: the central square is cropped, then resampled with a
 * triangle (bilinear) filter whose support widens when shrinking — antialiased like PIL's and
 * torchvision's bilinear resize, which timm's eval transform uses.
 */

/** Filter taps of one axis: output `o` reads `count[o]` inputs from `start[o]`, weights at `o * stride`. */
interface Taps {
  start: Int32Array;
  count: Int32Array;
  stride: number;
  weights: Float32Array;
}

/** Taps by filter, sizes and range: a dataset resizes thousands of images between the same sizes. */
const tapsCache = new Map<string, Taps>();

/** {@link filterTaps}, memoized. */
function cachedTaps(
  inSize: number,
  outSize: number,
  first: number,
  count: number,
  filter: Interpolation,
): Taps {
  const key = `${filter}:${inSize}x${outSize}:${first}+${count}`;
  const cached = tapsCache.get(key);
  if (cached) return cached;
  const result = filterTaps(inSize, outSize, first, count, filter);
  if (tapsCache.size > 64) tapsCache.clear();
  tapsCache.set(key, result);
  return result;
}

/**
 * Crops the central square of `src` (`width`×`height`×`channels`) and resamples it to
 * `size`×`size`. Returns `src` itself when it already is that size.
 */
export function resizeCover(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  size: number,
): Uint8Array {
  if (width === size && height === size) return src;
  const side = Math.min(width, height);
  const x0 = Math.floor((width - side) / 2);
  const y0 = Math.floor((height - side) / 2);
  if (side === size) return crop(src, width, channels, x0, y0, side);
  const tx = cachedTaps(side, size, 0, size, 'bilinear');
  const ty = tx;
  // Horizontal pass over the rows of the crop, into floats (one rounding at the end).
  const mid = new Float32Array(side * size * channels);
  for (let y = 0; y < side; y++) {
    const rowIn = ((y0 + y) * width + x0) * channels;
    const rowOut = y * size * channels;
    for (let x = 0; x < size; x++) {
      const w0 = x * tx.stride;
      const n = tx.count[x] as number;
      const s = rowIn + (tx.start[x] as number) * channels;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++)
          acc += (tx.weights[w0 + k] as number) * (src[s + k * channels + c] as number);
        mid[rowOut + x * channels + c] = acc;
      }
    }
  }
  const out = new Uint8Array(size * size * channels);
  const rowLen = size * channels;
  for (let y = 0; y < size; y++) {
    const w0 = y * ty.stride;
    const n = ty.count[y] as number;
    const s = (ty.start[y] as number) * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += (ty.weights[w0 + k] as number) * (mid[s + k * rowLen + i] as number);
      out[y * rowLen + i] = Math.min(255, Math.max(0, Math.round(acc)));
    }
  }
  return out;
}

/** The `side`×`side` square of `src` at (`x0`, `y0`). */
function crop(
  src: Uint8Array,
  width: number,
  channels: number,
  x0: number,
  y0: number,
  side: number,
): Uint8Array {
  const out = new Uint8Array(side * side * channels);
  for (let y = 0; y < side; y++) {
    const from = ((y0 + y) * width + x0) * channels;
    out.set(src.subarray(from, from + side * channels), y * side * channels);
  }
  return out;
}

/** A short stable name of a recipe, for cache keys. */
export function resizeRecipeKey(recipe: ResizeRecipe): string {
  return recipe.mode === 'cover' ? 'cover' : `timm-${recipe.interpolation}-${recipe.cropPct}`;
}

/** Resizes 8-bit HWC pixels to the `size`×`size` input by `recipe` (default `cover`). */
export function resizeToInput(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  size: number,
  recipe: ResizeRecipe = { mode: 'cover' },
): Uint8Array {
  if (recipe.mode === 'cover') return resizeCover(src, width, height, channels, size);
  return resizeShorterCenterCrop(src, width, height, channels, size, recipe.cropPct, recipe.interpolation);
}

const BICUBIC_A = -0.5;

/** PIL's filters: support and kernel. */
const FILTERS: Record<Interpolation, { support: number; kernel: (x: number) => number }> = {
  bilinear: { support: 1, kernel: (x) => Math.max(0, 1 - Math.abs(x)) },
  bicubic: {
    support: 2,
    kernel: (x) => {
      const t = Math.abs(x);
      if (t < 1) return ((BICUBIC_A + 2) * t - (BICUBIC_A + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * BICUBIC_A;
      return 0;
    },
  },
};

/**
 * PIL's resampling coefficients for the outputs `[first, first + count)` of a resize from
 * `inSize` to `outSize` pixels (antialiased: the filter widens by the scale when shrinking).
 */
function filterTaps(
  inSize: number,
  outSize: number,
  first: number,
  count: number,
  filter: Interpolation,
): Taps {
  const { support: baseSupport, kernel } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = baseSupport * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(count);
  const taps = new Int32Array(count);
  const weights = new Float32Array(count * stride);
  for (let j = 0; j < count; j++) {
    const center = (first + j + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize, lo + stride);
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const w = kernel((i - center + 0.5) / filterScale);
      weights[j * stride + i - lo] = w;
      sum += w;
    }
    if (sum !== 0)
      for (let k = 0; k < hi - lo; k++) weights[j * stride + k] = (weights[j * stride + k] as number) / sum;
    start[j] = lo;
    taps[j] = hi - lo;
  }
  return { start, count: taps, stride, weights };
}

/** Python's `round` (half to even), which torchvision's centre crop uses for its offsets. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

const clampByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/**
 * timm's eval transform on 8-bit HWC pixels: torchvision's `Resize(floor(size / cropPct))` (the
 * shorter side to that length, the longer one to `int(length · long / short)`) with PIL's
 * antialiased filter, then `CenterCrop(size)`. Only the cropped outputs are computed; like PIL,
 * the horizontal pass is rounded and clamped to 8 bits before the vertical one.
 */
export function resizeShorterCenterCrop(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  size: number,
  cropPct: number,
  interpolation: Interpolation,
): Uint8Array {
  const shorter = Math.floor(size / cropPct);
  const [outW, outH] =
    width <= height
      ? [shorter, Math.trunc((shorter * height) / width)]
      : [Math.trunc((shorter * width) / height), shorter];
  const left = roundHalfEven((outW - size) / 2);
  const top = roundHalfEven((outH - size) / 2);
  // A crop larger than the resized image pads with zeros in torchvision; cropPct ≤ 1 never does.
  const tx = cachedTaps(width, outW, left, size, interpolation);
  const ty = cachedTaps(height, outH, top, size, interpolation);
  const sameWidth = width === outW;
  const sameHeight = height === outH;
  // Horizontal pass over the source rows the vertical taps read.
  const rowLo = sameHeight ? top : (ty.start[0] as number);
  const rowHi = sameHeight ? top + size : (ty.start[size - 1] as number) + (ty.count[size - 1] as number);
  const mid = new Uint8Array((rowHi - rowLo) * size * channels);
  for (let y = rowLo; y < rowHi; y++) {
    const rowIn = y * width * channels;
    const rowOut = (y - rowLo) * size * channels;
    for (let x = 0; x < size; x++) {
      if (sameWidth) {
        for (let c = 0; c < channels; c++)
          mid[rowOut + x * channels + c] = src[rowIn + (left + x) * channels + c] as number;
        continue;
      }
      const w0 = x * tx.stride;
      const n = tx.count[x] as number;
      const s = rowIn + (tx.start[x] as number) * channels;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++)
          acc += (tx.weights[w0 + k] as number) * (src[s + k * channels + c] as number);
        mid[rowOut + x * channels + c] = clampByte(acc);
      }
    }
  }
  const out = new Uint8Array(size * size * channels);
  const rowLen = size * channels;
  for (let y = 0; y < size; y++) {
    if (sameHeight) {
      out.set(mid.subarray((top + y - rowLo) * rowLen, (top + y - rowLo + 1) * rowLen), y * rowLen);
      continue;
    }
    const w0 = y * ty.stride;
    const n = ty.count[y] as number;
    const s = ((ty.start[y] as number) - rowLo) * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += (ty.weights[w0 + k] as number) * (mid[s + k * rowLen + i] as number);
      out[y * rowLen + i] = clampByte(acc);
    }
  }
  return out;
}
