import type { Rng } from '../rng.js';

/** Area and aspect ranges of {@link randomErasing}; timm's defaults when omitted. */
export interface ErasingOptions {
  /** Smallest erased fraction of the area. Default 0.02. */
  minArea?: number;
  /** Largest erased fraction of the area. Default 1/3. */
  maxArea?: number;
  /** Smallest aspect ratio (the largest is its inverse). Default 0.3. */
  minAspect?: number;
}

/**
 * timm's `RandomErasing(mode='pixel', max_count=1)`, applied after normalization: up to 10 tries
 * to place a rectangle of area fraction in [minArea, maxArea] and log-uniform aspect ratio in
 * [minAspect, 1/minAspect]; its pixels become independent standard-normal noise. Returns the
 * rectangle, or undefined when no try fitted. In place. Self-contained (evaluated in worker
 * threads too).
 */
export function randomErasing(
  img: Float32Array,
  height: number,
  width: number,
  channels: number,
  rng: Rng,
  options: ErasingOptions = {},
): { top: number; left: number; height: number; width: number } | undefined {
  const minArea = options.minArea ?? 0.02;
  const maxArea = options.maxArea ?? 1 / 3;
  const minAspect = options.minAspect ?? 0.3;
  const logLo = Math.log(minAspect);
  const logHi = Math.log(1 / minAspect);
  const area = height * width;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = rng.uniform(minArea, maxArea) * area;
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const h = Math.round(Math.sqrt(target * aspect));
    const w = Math.round(Math.sqrt(target / aspect));
    if (w < width && h < height && w > 0 && h > 0) {
      const top = rng.int(0, height - h);
      const left = rng.int(0, width - w);
      for (let y = top; y < top + h; y++) {
        for (let x = left; x < left + w; x++) {
          for (let c = 0; c < channels; c++) img[(y * width + x) * channels + c] = rng.normal();
        }
      }
      return { top, left, height: h, width: w };
    }
  }
  return undefined;
}
