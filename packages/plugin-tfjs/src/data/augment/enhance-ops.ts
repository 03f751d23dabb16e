/**
 * PIL's `ImageEnhance` operations used by RandAugment, on 8-bit HWC buffers, in place. Each is
 * `Image.blend(degenerate, img, factor)`: factor 1 is the identity, 0 the degenerate image, > 1
 * extrapolates; PIL truncates the blend toward zero and clips to [0, 255]. Self-contained
 * (evaluated in worker threads too).
 */

/** `ImageEnhance.Brightness`: blends with black, i.e. scales every value by `factor`. */
export function brightness(img: Uint8Array, factor: number): void {
  for (let i = 0; i < img.length; i++)
    img[i] = Math.min(255, Math.max(0, Math.trunc((img[i] as number) * factor)));
}

/**
 * `ImageEnhance.Contrast`: blends with a flat image of the rounded mean luma (PIL's L
 * conversion, `(19595 R + 38470 G + 7471 B + 32768) >> 16`; the value itself for 1 channel).
 */
export function contrast(img: Uint8Array, channels: number, factor: number): void {
  const pixels = img.length / channels;
  let sum = 0;
  for (let p = 0; p < pixels; p++) {
    const i = p * channels;
    sum +=
      channels >= 3
        ? ((img[i] as number) * 19595 +
            (img[i + 1] as number) * 38470 +
            (img[i + 2] as number) * 7471 +
            0x8000) >>
          16
        : (img[i] as number);
  }
  const mean = Math.trunc(sum / pixels + 0.5);
  for (let i = 0; i < img.length; i++) {
    img[i] = Math.min(255, Math.max(0, Math.trunc(mean + factor * ((img[i] as number) - mean))));
  }
}

/**
 * `ImageEnhance.Color`: blends each pixel with its own L-mode gray (PIL's integer luma). A
 * 1-channel image is its own gray, so this does nothing to it.
 */
export function color(img: Uint8Array, channels: number, factor: number): void {
  if (channels < 3) return;
  for (let i = 0; i < img.length; i += channels) {
    const gray =
      ((img[i] as number) * 19595 +
        (img[i + 1] as number) * 38470 +
        (img[i + 2] as number) * 7471 +
        0x8000) >>
      16;
    for (let c = 0; c < 3; c++) {
      img[i + c] = Math.min(255, Math.max(0, Math.trunc(gray + factor * ((img[i + c] as number) - gray))));
    }
  }
}

/**
 * `ImageEnhance.Sharpness`: blends with `ImageFilter.SMOOTH` — the 3×3 kernel
 * [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13, rounded, with the border pixels copied unchanged, as
 * PIL's 3×3 filter does. `scratch` (at least `img.length`) holds the smoothed image.
 */
export function sharpness(
  img: Uint8Array,
  height: number,
  width: number,
  channels: number,
  factor: number,
  scratch: Uint8Array,
): void {
  const smooth = scratch.subarray(0, img.length);
  smooth.set(img);
  const row = width * channels;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      for (let c = 0; c < channels; c++) {
        const i = y * row + x * channels + c;
        const sum =
          (img[i - row - channels] as number) +
          (img[i - row] as number) +
          (img[i - row + channels] as number) +
          (img[i - channels] as number) +
          5 * (img[i] as number) +
          (img[i + channels] as number) +
          (img[i + row - channels] as number) +
          (img[i + row] as number) +
          (img[i + row + channels] as number);
        smooth[i] = Math.min(255, Math.floor(sum / 13 + 0.5));
      }
    }
  }
  for (let i = 0; i < img.length; i++) {
    const d = smooth[i] as number;
    img[i] = Math.min(255, Math.max(0, Math.trunc(d + factor * ((img[i] as number) - d))));
  }
}
