/**
 * PIL's point operations used by RandAugment, on 8-bit HWC buffers, in place. Each builds
 * PIL's 256-entry lookup table and maps every value through it. Every function is
 * self-contained (evaluated in worker threads too).
 */

/** `ImageOps.invert`: v → 255 − v. */
export function invert(img: Uint8Array): void {
  for (let i = 0; i < img.length; i++) img[i] = 255 - (img[i] as number);
}

/** `ImageOps.posterize`: keeps the `bits` most significant bits (0 blackens, ≥ 8 is a no-op). */
export function posterize(img: Uint8Array, bits: number): void {
  if (bits >= 8) return;
  const mask = bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  for (let i = 0; i < img.length; i++) img[i] = (img[i] as number) & mask;
}

/** `ImageOps.solarize`: values ≥ `threshold` are inverted (threshold 256 is a no-op). */
export function solarize(img: Uint8Array, threshold: number): void {
  for (let i = 0; i < img.length; i++) {
    const v = img[i] as number;
    if (v >= threshold) img[i] = 255 - v;
  }
}

/** timm's `solarize_add`: values below `threshold` (128) get `add`, saturating at 255. */
export function solarizeAdd(img: Uint8Array, add: number, threshold = 128): void {
  for (let i = 0; i < img.length; i++) {
    const v = img[i] as number;
    if (v < threshold) img[i] = Math.min(255, Math.max(0, v + add));
  }
}
