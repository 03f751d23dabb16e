import type { Rng } from '../rng.js';

/**
 * torchvision's `ColorJitter(b, c, s)` with b = c = s = `strength` (timm's `color_jitter`, hue
 * off): brightness, contrast and saturation factors drawn from [max(0, 1 − strength),
 * 1 + strength], applied in a random order on [0, 255] values, clamping after each. Contrast
 * blends with the image's mean luma; saturation blends with the per-pixel luma and does nothing
 * to a 1-channel image. In place. Self-contained (evaluated in worker threads too).
 */
export function colorJitter(
  img: Float32Array,
  height: number,
  width: number,
  channels: number,
  rng: Rng,
  strength: number,
): void {
  const pixels = height * width;
  const lo = Math.max(0, 1 - strength);
  const hi = 1 + strength;
  const order = [0, 1, 2];
  for (let i = 2; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const luma = (p: number): number =>
    channels >= 3
      ? 0.299 * (img[p * channels] as number) +
        0.587 * (img[p * channels + 1] as number) +
        0.114 * (img[p * channels + 2] as number)
      : (img[p * channels] as number);
  const clamp = (v: number): number => Math.min(255, Math.max(0, v));
  for (const op of order) {
    const factor = rng.uniform(lo, hi);
    if (op === 0) {
      for (let i = 0; i < img.length; i++) img[i] = clamp((img[i] as number) * factor);
    } else if (op === 1) {
      let mean = 0;
      for (let p = 0; p < pixels; p++) mean += luma(p);
      mean /= pixels;
      for (let i = 0; i < img.length; i++) img[i] = clamp(factor * (img[i] as number) + (1 - factor) * mean);
    } else if (channels >= 3) {
      for (let p = 0; p < pixels; p++) {
        const gray = luma(p);
        for (let c = 0; c < channels; c++) {
          const i = p * channels + c;
          img[i] = clamp(factor * (img[i] as number) + (1 - factor) * gray);
        }
      }
    }
  }
}
