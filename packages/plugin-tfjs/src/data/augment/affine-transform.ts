/**
 * PIL's `Image.transform(size, Image.AFFINE, matrix, resample, fillcolor=fill)` on an 8-bit HWC
 * image: output pixel (x, y) samples the input at (a·x' + b·y' + c, d·x' + e·y' + f) with
 * x' = x + 0.5, y' = y + 0.5 (pixel centres). Points outside the input get `fill` (one value
 * per channel, or one for all). Points inside are interpolated from neighbours clamped at the
 * edges — bilinearly, or with `bicubic` PIL's 4×4 cubic convolution (a = −1) — then clipped and
 * truncated to an integer, as PIL's `bilinear_filter8` / `bicubic_filter8` do. Writes `dst`
 * (same size as `src`, not overlapping it). Self-contained (evaluated in worker threads too).
 */
export function affineTransform(
  src: Uint8Array,
  dst: Uint8Array,
  height: number,
  width: number,
  channels: number,
  matrix: ArrayLike<number>,
  fill: ArrayLike<number>,
  bicubic = false,
): void {
  const a = matrix[0] as number;
  const b = matrix[1] as number;
  const c = matrix[2] as number;
  const d = matrix[3] as number;
  const e = matrix[4] as number;
  const f = matrix[5] as number;
  const row = width * channels;
  const cubic = (v1: number, v2: number, v3: number, v4: number, t: number): number =>
    v2 + t * (-v1 + v3 + t * (2 * (v1 - v2) + v3 - v4 + t * (-v1 + v2 - v3 + v4)));
  // One row of the 4×4 bicubic neighbourhood at `dx`; `base` = row offset + channel.
  const cubicRow = (base: number, c0: number, c1: number, c2: number, c3: number, dx: number): number =>
    cubic(
      src[base + c0] as number,
      src[base + c1] as number,
      src[base + c2] as number,
      src[base + c3] as number,
      dx,
    );
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const xin = a * (x + 0.5) + b * (y + 0.5) + c;
      const yin = d * (x + 0.5) + e * (y + 0.5) + f;
      const out = (y * width + x) * channels;
      if (!(xin >= 0 && xin < width && yin >= 0 && yin < height)) {
        for (let ch = 0; ch < channels; ch++) dst[out + ch] = (fill[ch] ?? fill[0] ?? 0) as number;
        continue;
      }
      const fx = xin - 0.5;
      const fy = yin - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const dx = fx - x0;
      const dy = fy - y0;
      if (bicubic) {
        // PIL's 4×4 neighbourhood starts one pixel up-left of the sample's floor, clamped.
        const c0 = Math.max(0, x0 - 1) * channels;
        const c1 = Math.min(width - 1, Math.max(0, x0)) * channels;
        const c2 = Math.min(width - 1, Math.max(0, x0 + 1)) * channels;
        const c3 = Math.min(width - 1, x0 + 2) * channels;
        const r0 = Math.max(0, y0 - 1) * row;
        const r1 = Math.min(height - 1, Math.max(0, y0)) * row;
        const r2 = Math.min(height - 1, Math.max(0, y0 + 1)) * row;
        const r3 = Math.min(height - 1, y0 + 2) * row;
        for (let ch = 0; ch < channels; ch++) {
          const v = cubic(
            cubicRow(r0 + ch, c0, c1, c2, c3, dx),
            cubicRow(r1 + ch, c0, c1, c2, c3, dx),
            cubicRow(r2 + ch, c0, c1, c2, c3, dx),
            cubicRow(r3 + ch, c0, c1, c2, c3, dx),
            dy,
          );
          dst[out + ch] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
        }
        continue;
      }
      const xa = Math.max(0, x0) * channels;
      const xb = Math.min(width - 1, x0 + 1) * channels;
      const ya = Math.max(0, y0) * row;
      const yb = Math.min(height - 1, y0 + 1) * row;
      for (let ch = 0; ch < channels; ch++) {
        const p00 = src[ya + xa + ch] as number;
        const p01 = src[ya + xb + ch] as number;
        const p10 = src[yb + xa + ch] as number;
        const p11 = src[yb + xb + ch] as number;
        const top = p00 + (p01 - p00) * dx;
        const bottom = p10 + (p11 - p10) * dx;
        dst[out + ch] = Math.trunc(top + (bottom - top) * dy);
      }
    }
  }
}
