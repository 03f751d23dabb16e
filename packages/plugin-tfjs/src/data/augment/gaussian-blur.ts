/**
 * Separable gaussian blur of an HWC image with standard deviation `sigma` (torchvision's
 * `GaussianBlur`, which timm applies with σ ∈ [0.1, 2.0]): kernel radius ⌈3σ⌉ (capped below the
 * image size), reflected borders. In place; `scratch` (at least the image's length) avoids an
 * allocation per image. Self-contained (evaluated in worker threads too).
 */
export function gaussianBlur(
  img: Float32Array,
  height: number,
  width: number,
  channels: number,
  sigma: number,
  scratch?: Float32Array,
): void {
  const radius = Math.max(1, Math.min(Math.ceil(3 * sigma), Math.min(height, width) - 1));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    const v = Math.exp(-(k * k) / (2 * sigma * sigma));
    kernel[k + radius] = v;
    sum += v;
  }
  for (let k = 0; k < kernel.length; k++) kernel[k] = (kernel[k] as number) / sum;
  const reflect = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  const tmp = scratch && scratch.length >= img.length ? scratch : new Float32Array(img.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) {
          acc +=
            (kernel[k + radius] as number) *
            (img[(y * width + reflect(x + k, width)) * channels + c] as number);
        }
        tmp[(y * width + x) * channels + c] = acc;
      }
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) {
          acc +=
            (kernel[k + radius] as number) *
            (tmp[(reflect(y + k, height) * width + x) * channels + c] as number);
        }
        img[(y * width + x) * channels + c] = acc;
      }
    }
  }
}
