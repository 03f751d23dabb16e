/**
 * The input preprocessing of core's `InputPreprocessing`, as one self-contained function the web
 * page runs in the browser (its source is inlined into the page with `toString()`, so it may use
 * nothing from outside its own body). It reproduces, operation for operation and in the same
 * float32/float64 arithmetic, what the serving runtimes run (`preprocessImage` of
 * `@mlops/plugin-tfjs`, which the ONNX runtime uses too): channel conversion (alpha dropped, ITU-R
 * 601-2 luma), the `cover` resize (centre square, antialiased bilinear) or timm's eval transform
 * (shorter side to `floor(size / cropPct)` with PIL's bilinear or bicubic filter, centre crop), and
 * `(v / 255 − mean) / std`. `test/browser-preprocess.test.ts` checks it bit for bit against
 * plugin-tfjs on every recipe, so a change on either side fails there.
 */

/** What {@link preprocessPixels} needs from an `InputPreprocessing`. */
export interface BrowserPreprocessing {
  /** Square input size. */
  size: number;
  /** Channels the model's pipeline takes. */
  channels: 1 | 3;
  /** Mean per channel, for pixels in [0, 1]. */
  mean: number[];
  /** Standard deviation per channel. */
  std: number[];
  /** `cover` (default) or `timm`. */
  resize?: 'cover' | 'timm';
  /** With `timm`: the crop fraction (default 1). */
  cropPct?: number;
  /** With `timm`: the filter (default bilinear). */
  interpolation?: 'bilinear' | 'bicubic';
}

/**
 * 8-bit HWC pixels (`fromChannels` per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA as a canvas
 * gives them) → the model's normalized float input, `size × size × channels`, HWC.
 */
export function preprocessPixels(
  src: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  fromChannels: number,
  pre: BrowserPreprocessing,
): Float32Array {
  const to = pre.channels;
  const pixels = width * height;

  // Channels. Gray + alpha keeps the gray (as the server's decoder does), alpha is dropped.
  let data: Uint8Array;
  if (fromChannels === to) {
    data = src instanceof Uint8Array ? src : new Uint8Array(src.buffer, src.byteOffset, src.length);
  } else {
    data = new Uint8Array(pixels * to);
    const colour = fromChannels >= 3;
    for (let p = 0; p < pixels; p++) {
      const s = p * fromChannels;
      if (to === 1) {
        data[p] = colour
          ? Math.round(
              ((src[s] as number) * 299 + (src[s + 1] as number) * 587 + (src[s + 2] as number) * 114) / 1000,
            )
          : (src[s] as number);
      } else if (colour) {
        data[p * 3] = src[s] as number;
        data[p * 3 + 1] = src[s + 1] as number;
        data[p * 3 + 2] = src[s + 2] as number;
      } else {
        const v = src[s] as number;
        data[p * 3] = v;
        data[p * 3 + 1] = v;
        data[p * 3 + 2] = v;
      }
    }
  }
  const channels = to;
  const size = pre.size;

  // PIL's resampling coefficients (antialiased: the filter widens by the scale when shrinking).
  const BICUBIC_A = -0.5;
  const kernelOf = (filter: 'bilinear' | 'bicubic'): { support: number; kernel: (x: number) => number } =>
    filter === 'bicubic'
      ? {
          support: 2,
          kernel: (x) => {
            const t = Math.abs(x);
            if (t < 1) return ((BICUBIC_A + 2) * t - (BICUBIC_A + 3)) * t * t + 1;
            if (t < 2) return (((t - 5) * t + 8) * t - 4) * BICUBIC_A;
            return 0;
          },
        }
      : { support: 1, kernel: (x) => Math.max(0, 1 - Math.abs(x)) };
  const filterTaps = (
    inSize: number,
    outSize: number,
    first: number,
    count: number,
    filter: 'bilinear' | 'bicubic',
  ) => {
    const { support: baseSupport, kernel } = kernelOf(filter);
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
  };

  let resized: Uint8Array;
  if ((pre.resize ?? 'cover') === 'cover') {
    // The central square, resampled with the bilinear filter; one rounding at the end.
    if (width === size && height === size) {
      resized = data;
    } else {
      const side = Math.min(width, height);
      const x0 = Math.floor((width - side) / 2);
      const y0 = Math.floor((height - side) / 2);
      if (side === size) {
        resized = new Uint8Array(side * side * channels);
        for (let y = 0; y < side; y++) {
          const from = ((y0 + y) * width + x0) * channels;
          resized.set(data.subarray(from, from + side * channels), y * side * channels);
        }
      } else {
        const t = filterTaps(side, size, 0, size, 'bilinear');
        const mid = new Float32Array(side * size * channels);
        for (let y = 0; y < side; y++) {
          const rowIn = ((y0 + y) * width + x0) * channels;
          const rowOut = y * size * channels;
          for (let x = 0; x < size; x++) {
            const w0 = x * t.stride;
            const n = t.count[x] as number;
            const s = rowIn + (t.start[x] as number) * channels;
            for (let c = 0; c < channels; c++) {
              let acc = 0;
              for (let k = 0; k < n; k++)
                acc += (t.weights[w0 + k] as number) * (data[s + k * channels + c] as number);
              mid[rowOut + x * channels + c] = acc;
            }
          }
        }
        resized = new Uint8Array(size * size * channels);
        const rowLen = size * channels;
        for (let y = 0; y < size; y++) {
          const w0 = y * t.stride;
          const n = t.count[y] as number;
          const s = (t.start[y] as number) * rowLen;
          for (let i = 0; i < rowLen; i++) {
            let acc = 0;
            for (let k = 0; k < n; k++)
              acc += (t.weights[w0 + k] as number) * (mid[s + k * rowLen + i] as number);
            resized[y * rowLen + i] = Math.min(255, Math.max(0, Math.round(acc)));
          }
        }
      }
    }
  } else {
    // timm's eval transform: Resize(floor(size / cropPct)) with PIL's filter, then CenterCrop(size);
    // like PIL, the horizontal pass is rounded and clamped to 8 bits before the vertical one.
    const interpolation = pre.interpolation ?? 'bilinear';
    const roundHalfEven = (x: number): number => {
      const floor = Math.floor(x);
      const diff = x - floor;
      if (diff > 0.5) return floor + 1;
      if (diff < 0.5) return floor;
      return floor % 2 === 0 ? floor : floor + 1;
    };
    const clampByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));
    const shorter = Math.floor(size / (pre.cropPct ?? 1));
    const [outW, outH] =
      width <= height
        ? [shorter, Math.trunc((shorter * height) / width)]
        : [Math.trunc((shorter * width) / height), shorter];
    const left = roundHalfEven((outW - size) / 2);
    const top = roundHalfEven((outH - size) / 2);
    const tx = filterTaps(width, outW, left, size, interpolation);
    const ty = filterTaps(height, outH, top, size, interpolation);
    const sameWidth = width === outW;
    const sameHeight = height === outH;
    const rowLo = sameHeight ? top : (ty.start[0] as number);
    const rowHi = sameHeight ? top + size : (ty.start[size - 1] as number) + (ty.count[size - 1] as number);
    const mid = new Uint8Array((rowHi - rowLo) * size * channels);
    for (let y = rowLo; y < rowHi; y++) {
      const rowIn = y * width * channels;
      const rowOut = (y - rowLo) * size * channels;
      for (let x = 0; x < size; x++) {
        if (sameWidth) {
          for (let c = 0; c < channels; c++)
            mid[rowOut + x * channels + c] = data[rowIn + (left + x) * channels + c] as number;
          continue;
        }
        const w0 = x * tx.stride;
        const n = tx.count[x] as number;
        const s = rowIn + (tx.start[x] as number) * channels;
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (let k = 0; k < n; k++)
            acc += (tx.weights[w0 + k] as number) * (data[s + k * channels + c] as number);
          mid[rowOut + x * channels + c] = clampByte(acc);
        }
      }
    }
    resized = new Uint8Array(size * size * channels);
    const rowLen = size * channels;
    for (let y = 0; y < size; y++) {
      if (sameHeight) {
        resized.set(mid.subarray((top + y - rowLo) * rowLen, (top + y - rowLo + 1) * rowLen), y * rowLen);
        continue;
      }
      const w0 = y * ty.stride;
      const n = ty.count[y] as number;
      const s = ((ty.start[y] as number) - rowLo) * rowLen;
      for (let i = 0; i < rowLen; i++) {
        let acc = 0;
        for (let k = 0; k < n; k++)
          acc += (ty.weights[w0 + k] as number) * (mid[s + k * rowLen + i] as number);
        resized[y * rowLen + i] = clampByte(acc);
      }
    }
  }

  // (v / 255 − mean) / std, with float32 scale and shift as the runtimes compute it.
  const out = new Float32Array(resized.length);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = 1 / (255 * (pre.std[c] as number));
    shift[c] = (pre.mean[c] as number) / (pre.std[c] as number);
  }
  for (let i = 0; i < resized.length; i++) out[i] = resized[i] as number;
  for (let i = 0; i < out.length; i++) {
    const c = i % channels;
    out[i] = (out[i] as number) * (scale[c] as number) - (shift[c] as number);
  }
  return out;
}
