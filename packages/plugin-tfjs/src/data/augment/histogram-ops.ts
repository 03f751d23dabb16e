/**
 * PIL's histogram-driven operations used by RandAugment, on 8-bit HWC buffers, in place, one
 * lookup table per channel (PIL treats every band separately). Self-contained (evaluated in
 * worker threads too).
 */

/**
 * `ImageOps.autocontrast` (cutoff 0): per channel, stretches [lo, hi] to [0, 255] with PIL's
 * `int(v · 255/(hi − lo) − lo · 255/(hi − lo))`; a flat channel is left alone.
 */
export function autoContrast(img: Uint8Array, channels: number): void {
  const lut = new Uint8Array(256);
  for (let c = 0; c < channels; c++) {
    let lo = 255;
    let hi = 0;
    for (let i = c; i < img.length; i += channels) {
      const v = img[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi <= lo) continue;
    const scale = 255 / (hi - lo);
    const offset = -lo * scale;
    for (let v = 0; v < 256; v++) lut[v] = Math.min(255, Math.max(0, Math.trunc(v * scale + offset)));
    for (let i = c; i < img.length; i += channels) img[i] = lut[img[i] as number] as number;
  }
}

/**
 * `ImageOps.equalize`: per channel, PIL's histogram equalization — step = (pixels − count of the
 * highest occupied value) // 255, lut[v] = (step // 2 + pixels below v) // step; a channel with
 * one occupied value (or step 0) is left alone.
 */
export function equalize(img: Uint8Array, channels: number): void {
  const histogram = new Int32Array(256);
  const lut = new Uint8Array(256);
  for (let c = 0; c < channels; c++) {
    histogram.fill(0);
    for (let i = c; i < img.length; i += channels) {
      const v = img[i] as number;
      histogram[v] = (histogram[v] as number) + 1;
    }
    let occupied = 0;
    let total = 0;
    let last = 0;
    for (let v = 0; v < 256; v++) {
      const count = histogram[v] as number;
      if (count > 0) {
        occupied++;
        total += count;
        last = count;
      }
    }
    if (occupied <= 1) continue;
    const step = Math.floor((total - last) / 255);
    if (step === 0) continue;
    let n = Math.floor(step / 2);
    for (let v = 0; v < 256; v++) {
      lut[v] = Math.min(255, Math.floor(n / step));
      n += histogram[v] as number;
    }
    for (let i = c; i < img.length; i += channels) img[i] = lut[img[i] as number] as number;
  }
}
