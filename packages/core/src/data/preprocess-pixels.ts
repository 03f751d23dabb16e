import type { InputPreprocessing, ResizeRecipe } from '../config/preprocessing.js';

/**
 * The pixel preprocessing of an {@link InputPreprocessing} — the one implementation that
 * training's decode cache, the serving runtimes (tfjs and ONNX, through `preprocessImage` of
 * `@mlops/plugin-tfjs`) and the server's web page (in the browser) all run, so a model sees the
 * same numbers everywhere. Every step works on 8-bit HWC pixels.
 */
export interface PixelPreprocessing {
  /**
   * Channel conversion to what the model takes, 1 (gray) or 3 (RGB): alpha is dropped, not
   * blended (as PIL's `convert('RGB')`, which timm uses, does; gray + alpha keeps the gray); gray
   * is repeated into 3 channels; RGB becomes gray by ITU-R 601-2 luma (PIL's `convert('L')`).
   * Returns `src` itself when it already has `to` channels.
   */
  convertChannels(src: Uint8Array, pixels: number, from: number, to: 1 | 3): Uint8Array;
  /**
   * Crops the central square of `src` (`width`×`height`×`channels`) and resamples it to
   * `size`×`size` with a triangle (bilinear) filter whose support widens when shrinking —
   * antialiased like PIL's and torchvision's bilinear resize — rounding once at the end.
   * Returns `src` itself when it already is that size.
   */
  resizeCover(src: Uint8Array, width: number, height: number, channels: number, size: number): Uint8Array;
  /**
   * timm's eval transform: torchvision's `Resize(floor(size / cropPct))` (the shorter side to
   * that length, the longer one to `int(length · long / short)`) with PIL's antialiased filter,
   * then `CenterCrop(size)`. Only the cropped outputs are computed; like PIL, the horizontal pass
   * is rounded and clamped to 8 bits before the vertical one.
   */
  resizeShorterCenterCrop(
    src: Uint8Array,
    width: number,
    height: number,
    channels: number,
    size: number,
    cropPct: number,
    interpolation: 'bilinear' | 'bicubic',
  ): Uint8Array;
  /**
   * The resize recipe of a stored preprocessing description (`timm` with crop 1 and bilinear
   * unless given, else `cover`); core's `resizeRecipeOfPreprocessing`.
   */
  resizeRecipeOfPreprocessing(
    p: Partial<Pick<InputPreprocessing, 'resize' | 'cropPct' | 'interpolation'>>,
  ): ResizeRecipe;
  /** Resizes to the `size`×`size` input by `recipe` (default `cover`). */
  resizeToInput(
    src: Uint8Array,
    width: number,
    height: number,
    channels: number,
    size: number,
    recipe?: ResizeRecipe,
  ): Uint8Array;
  /**
   * Maps [0, 255] values to `(v / 255 − mean[c]) / std[c]` in place (HWC), with float32 scale
   * and shift. This one function references nothing outside its own body (not even the other
   * steps), so the augmentation workers can rebuild it from its source text.
   */
  normalizeInPlace(img: Float32Array, channels: number, mean: number[], std: number[]): void;
  /**
   * The whole pipeline: `src` (`fromChannels` per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA as
   * a canvas gives them) → channel conversion → resize recipe → normalization, as the model's
   * `size`×`size`×`channels` float input (HWC), written into `dst` at `offset` (a new array by
   * default). Returns `dst`.
   */
  preprocess(
    src: Uint8Array | Uint8ClampedArray,
    width: number,
    height: number,
    fromChannels: number,
    pre: Pick<InputPreprocessing, 'size' | 'channels' | 'mean' | 'std'> &
      Partial<Pick<InputPreprocessing, 'resize' | 'cropPct' | 'interpolation'>>,
    dst?: Float32Array,
    offset?: number,
  ): Float32Array;
}

/**
 * Creates the {@link PixelPreprocessing} functions (with their own cache of filter taps: a
 * dataset resizes thousands of images between the same sizes).
 *
 * Why one factory: the web page runs this code in the browser, so it is inlined into the page
 * as `(${createPixelPreprocessing.toString()})()`. The function is therefore self-contained: it
 * references only its own locals and JavaScript globals — no imports, no module-level names,
 * no TypeScript helpers. That holds in the sources (vitest) and in tsup's bundle alike: esbuild
 * renames module-level names when bundling (so separate top-level functions that call each
 * other would not survive `toString()`), but never a function's locals, and a minifier would
 * rename them consistently within the function. `packages/server/test/browser-preprocess.test.ts`
 * runs the inlined source, from the sources and from the built `dist/`, against this module.
 */
export function createPixelPreprocessing(): PixelPreprocessing {
  type Filter = 'bilinear' | 'bicubic';
  /** Filter taps of one axis: output `o` reads `count[o]` inputs from `start[o]`, weights at `o * stride`. */
  interface Taps {
    start: Int32Array;
    count: Int32Array;
    stride: number;
    weights: Float32Array;
  }

  function convertChannels(src: Uint8Array, pixels: number, from: number, to: 1 | 3): Uint8Array {
    if (from === to) return src;
    const out = new Uint8Array(pixels * to);
    const colour = from >= 3;
    for (let p = 0; p < pixels; p++) {
      const s = p * from;
      if (to === 1) {
        out[p] = colour
          ? Math.round(
              ((src[s] as number) * 299 + (src[s + 1] as number) * 587 + (src[s + 2] as number) * 114) / 1000,
            )
          : (src[s] as number);
      } else if (colour) {
        out[p * 3] = src[s] as number;
        out[p * 3 + 1] = src[s + 1] as number;
        out[p * 3 + 2] = src[s + 2] as number;
      } else {
        const v = src[s] as number;
        out[p * 3] = v;
        out[p * 3 + 1] = v;
        out[p * 3 + 2] = v;
      }
    }
    return out;
  }

  const BICUBIC_A = -0.5;
  /** PIL's filters: support and kernel. */
  const FILTERS: Record<Filter, { support: number; kernel: (x: number) => number }> = {
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
  function filterTaps(inSize: number, outSize: number, first: number, count: number, filter: Filter): Taps {
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

  const tapsCache = new Map<string, Taps>();
  /** {@link filterTaps}, memoized. */
  function cachedTaps(inSize: number, outSize: number, first: number, count: number, filter: Filter): Taps {
    const key = `${filter}:${inSize}x${outSize}:${first}+${count}`;
    const cached = tapsCache.get(key);
    if (cached) return cached;
    const result = filterTaps(inSize, outSize, first, count, filter);
    if (tapsCache.size > 64) tapsCache.clear();
    tapsCache.set(key, result);
    return result;
  }

  function resizeCover(
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
    if (side === size) {
      const square = new Uint8Array(side * side * channels);
      for (let y = 0; y < side; y++) {
        const from = ((y0 + y) * width + x0) * channels;
        square.set(src.subarray(from, from + side * channels), y * side * channels);
      }
      return square;
    }
    const t = cachedTaps(side, size, 0, size, 'bilinear');
    // Horizontal pass over the rows of the crop, into floats (one rounding at the end).
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
            acc += (t.weights[w0 + k] as number) * (src[s + k * channels + c] as number);
          mid[rowOut + x * channels + c] = acc;
        }
      }
    }
    const out = new Uint8Array(size * size * channels);
    const rowLen = size * channels;
    for (let y = 0; y < size; y++) {
      const w0 = y * t.stride;
      const n = t.count[y] as number;
      const s = (t.start[y] as number) * rowLen;
      for (let i = 0; i < rowLen; i++) {
        let acc = 0;
        for (let k = 0; k < n; k++)
          acc += (t.weights[w0 + k] as number) * (mid[s + k * rowLen + i] as number);
        out[y * rowLen + i] = Math.min(255, Math.max(0, Math.round(acc)));
      }
    }
    return out;
  }

  /** Python's `round` (half to even), which torchvision's centre crop uses for its offsets. */
  function roundHalfEven(x: number): number {
    const floor = Math.floor(x);
    const diff = x - floor;
    if (diff > 0.5) return floor + 1;
    if (diff < 0.5) return floor;
    return floor % 2 === 0 ? floor : floor + 1;
  }

  function clampByte(v: number): number {
    return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }

  function resizeShorterCenterCrop(
    src: Uint8Array,
    width: number,
    height: number,
    channels: number,
    size: number,
    cropPct: number,
    interpolation: Filter,
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
        for (let k = 0; k < n; k++)
          acc += (ty.weights[w0 + k] as number) * (mid[s + k * rowLen + i] as number);
        out[y * rowLen + i] = clampByte(acc);
      }
    }
    return out;
  }

  function resizeRecipeOfPreprocessing(
    p: Partial<Pick<InputPreprocessing, 'resize' | 'cropPct' | 'interpolation'>>,
  ): ResizeRecipe {
    return p.resize === 'timm'
      ? { mode: 'timm', cropPct: p.cropPct ?? 1, interpolation: p.interpolation ?? 'bilinear' }
      : { mode: 'cover' };
  }

  function resizeToInput(
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

  function normalizeInPlace(img: Float32Array, channels: number, mean: number[], std: number[]): void {
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      scale[c] = 1 / (255 * (std[c] as number));
      shift[c] = (mean[c] as number) / (std[c] as number);
    }
    for (let i = 0; i < img.length; i++) {
      const c = i % channels;
      img[i] = (img[i] as number) * (scale[c] as number) - (shift[c] as number);
    }
  }

  const preprocess: PixelPreprocessing['preprocess'] = (
    src,
    width,
    height,
    fromChannels,
    pre,
    dst,
    offset = 0,
  ) => {
    const bytes = src instanceof Uint8Array ? src : new Uint8Array(src.buffer, src.byteOffset, src.length);
    const converted = convertChannels(bytes, width * height, fromChannels, pre.channels);
    const recipe = resizeRecipeOfPreprocessing(pre);
    const pixels = resizeToInput(converted, width, height, pre.channels, pre.size, recipe);
    const out = dst ?? new Float32Array(pixels.length);
    const target = out.subarray(offset, offset + pixels.length);
    for (let i = 0; i < pixels.length; i++) target[i] = pixels[i] as number;
    normalizeInPlace(target, pre.channels, pre.mean, pre.std);
    return out;
  };

  return {
    convertChannels,
    resizeCover,
    resizeShorterCenterCrop,
    resizeRecipeOfPreprocessing,
    resizeToInput,
    normalizeInPlace,
    preprocess,
  };
}

/**
 * The process's one {@link PixelPreprocessing} (one taps cache), which training's decoding and
 * the serving runtimes use.
 */
export const pixelPreprocessing: PixelPreprocessing = createPixelPreprocessing();
