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

/** Taps by `${in}x${out}`: a dataset resizes thousands of images between the same two sizes. */
const tapsCache = new Map<string, Taps>();

function taps(inSize: number, outSize: number): Taps {
  const key = `${inSize}x${outSize}`;
  const cached = tapsCache.get(key);
  if (cached) return cached;
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.floor(center - support + 0.5), 0);
    const hi = Math.min(Math.floor(center + support + 0.5), inSize, lo + stride);
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const value = Math.max(0, 1 - Math.abs((i - center + 0.5) / support));
      weights[o * stride + i - lo] = value;
      sum += value;
    }
    for (let k = 0; k < hi - lo; k++)
      weights[o * stride + k] = sum > 0 ? (weights[o * stride + k] as number) / sum : 1 / (hi - lo);
    start[o] = lo;
    count[o] = hi - lo;
  }
  const result = { start, count, stride, weights };
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
  const tx = taps(side, size);
  const ty = taps(side, size);
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
