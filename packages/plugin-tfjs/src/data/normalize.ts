import type { ChannelStats } from '@mlops/core';

export type { ChannelStats };

/**
 * Maps [0, 255] values to `(v / 255 − mean[c]) / std[c]`, in place (HWC). `mean` and `std` have
 * one value per channel. Self-contained (evaluated in worker threads too).
 */
export function normalizeInPlace(img: Float32Array, channels: number, mean: number[], std: number[]): void {
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
