import {
  type DataOutput,
  type ResolvedConfig,
  resizeRecipeOf,
  resolveNormalize,
  type StageContext,
} from '@mlops/core';
import { loadDecodedSplit, normalizeUint8 } from '@mlops/plugin-tfjs';

/** Normalized images of one split, ready for a model: NHWC floats and labels. */
export interface NormalizedSample {
  /** Split name. */
  split: string;
  /** Number of images. */
  count: number;
  /** `[height, width, channels]`. */
  shape: [number, number, number];
  /** `count × H × W × C` floats, normalized as in training. */
  x: Float32Array;
  /** Class index per image. */
  labels: Int32Array;
  /** The normalization applied, one value per channel. */
  normalize: { mean: number[]; std: number[] };
}

/** `n` indices spread evenly over `[0, count)` (all of them when `n` is 0 or ≥ count). */
export function spreadIndices(count: number, n: number): number[] {
  if (n <= 0 || n >= count) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.floor((i * count) / n));
}

/**
 * Up to `limit` images of `split` (evenly spread, so every class is in), decoded at the model's size
 * and normalized with `data.normalize` — the same pixels the evaluator feeds tfjs.
 */
export async function loadNormalizedSample(
  ctx: Pick<StageContext, 'store' | 'progress'> & { config: ResolvedConfig },
  data: DataOutput,
  split: string,
  limit: number,
): Promise<NormalizedSample> {
  const { config } = ctx;
  const channels = config.model.inputChannels;
  const decoded = await loadDecodedSplit({
    store: ctx.store,
    data,
    split,
    size: config.model.inputSize,
    channels,
    resize: resizeRecipeOf(config.data),
    progress: (total, label) => ctx.progress(total, label),
  });
  const stats = resolveNormalize(config.data.normalize, channels);
  const pixels = decoded.height * decoded.width * decoded.channels;
  const indices = spreadIndices(decoded.count, limit);
  const x = new Float32Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  indices.forEach((index, i) => {
    normalizeUint8(decoded.images, index * pixels, pixels, x, i * pixels, stats);
    labels[i] = decoded.labels[index] as number;
  });
  return {
    split,
    count: indices.length,
    shape: [decoded.height, decoded.width, decoded.channels],
    x,
    labels,
    normalize: stats,
  };
}

/** The first split of `names` that the data has images in. */
export function firstPresentSplit(data: DataOutput, names: string[]): string | undefined {
  return names.find((name) => (data.splits[name] ?? 0) > 0);
}

/**
 * `count` deterministic noise images (uniform 8-bit pixels, normalized as in training), for the
 * parity gate of a model exported without data (`mlops registry import`): parity compares the
 * graphs' outputs, which needs inputs of the right distribution of values, not labelled images.
 */
export function syntheticSample(config: ResolvedConfig, count: number): NormalizedSample {
  const channels = config.model.inputChannels;
  const size = config.model.inputSize;
  const stats = resolveNormalize(config.data.normalize, channels);
  const pixels = size * size * channels;
  const bytes = new Uint8Array(count * pixels);
  // xorshift32: the same images on every export, so parity numbers are comparable.
  let state = 0x9e3779b9;
  for (let i = 0; i < bytes.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  const x = new Float32Array(bytes.length);
  for (let i = 0; i < count; i++) normalizeUint8(bytes, i * pixels, pixels, x, i * pixels, stats);
  return {
    split: 'synthetic',
    count,
    shape: [size, size, channels],
    x,
    labels: new Int32Array(count),
    normalize: stats,
  };
}
