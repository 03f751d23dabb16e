import type { Rng } from '../rng.js';

/** A crop rectangle in pixels. */
export interface CropBox {
  /** First row. */
  top: number;
  /** First column. */
  left: number;
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
}

/**
 * timm's `RandomResizedCropAndInterpolation.get_params`: up to 10 tries of an area fraction in
 * `scale` and a log-uniform aspect ratio in `ratio`; falls back to the central crop clamped to
 * the ratio range. Self-contained (evaluated in worker threads too).
 */
export function randomResizedCropBox(
  height: number,
  width: number,
  rng: Rng,
  scale: [number, number],
  ratio: [number, number],
): CropBox {
  const area = height * width;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = rng.uniform(scale[0], scale[1]) * area;
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { top: rng.int(0, height - h), left: rng.int(0, width - w), height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) h = Math.round(w / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) w = Math.round(h * Math.max(ratio[0], ratio[1]));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/**
 * Resamples `box` of the image at `srcOffset` in `src` (HWC, `height`×`width`×`channels`) back to
 * the full `height`×`width` with bilinear interpolation (pixel centres aligned, edges clamped to
 * the box), writing floats in the source's value range to `dst`. A box covering the whole image
 * copies it unchanged. Self-contained (evaluated in worker threads too).
 */
export function resizedCrop(
  src: ArrayLike<number>,
  srcOffset: number,
  height: number,
  width: number,
  channels: number,
  box: CropBox,
  dst: Float32Array,
): void {
  const sy = box.height / height;
  const sx = box.width / width;
  const maxY = box.top + box.height - 1;
  const maxX = box.left + box.width - 1;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max(box.top + (y + 0.5) * sy - 0.5, box.top), maxY);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, maxY);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max(box.left + (x + 0.5) * sx - 0.5, box.left), maxX);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, maxX);
      const wx = fx - x0;
      const p00 = srcOffset + (y0 * width + x0) * channels;
      const p01 = srcOffset + (y0 * width + x1) * channels;
      const p10 = srcOffset + (y1 * width + x0) * channels;
      const p11 = srcOffset + (y1 * width + x1) * channels;
      const out = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) {
        const top = (src[p00 + c] as number) * (1 - wx) + (src[p01 + c] as number) * wx;
        const bottom = (src[p10 + c] as number) * (1 - wx) + (src[p11 + c] as number) * wx;
        dst[out + c] = top * (1 - wy) + bottom * wy;
      }
    }
  }
}
