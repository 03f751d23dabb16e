import { type ChannelStats, type PixelPreprocessing, pixelPreprocessing } from '@mlops/core';

export type { ChannelStats };

/**
 * Maps [0, 255] values to `(v / 255 − mean[c]) / std[c]`, in place (HWC). `mean` and `std` have
 * one value per channel. Core's one implementation (`PixelPreprocessing.normalizeInPlace`), which
 * references nothing outside its body, so the worker threads evaluate it from its source.
 */
export const normalizeInPlace: PixelPreprocessing['normalizeInPlace'] = pixelPreprocessing.normalizeInPlace;

/** Converts `count` 8-bit values of `src` from `srcOffset` into normalized floats at `dst[dstOffset]`. */
export function normalizeUint8(
  src: Uint8Array,
  srcOffset: number,
  count: number,
  dst: Float32Array,
  dstOffset: number,
  stats: ChannelStats,
): void {
  const target = dst.subarray(dstOffset, dstOffset + count);
  for (let i = 0; i < count; i++) target[i] = src[srcOffset + i] as number;
  normalizeInPlace(target, stats.mean.length, stats.mean, stats.std);
}
