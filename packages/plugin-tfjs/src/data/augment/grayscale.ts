/**
 * Replaces every channel of an RGB image with its ITU-R 601-2 luma (torchvision's
 * `RandomGrayscale` keeps 3 channels). A 1-channel image is left as it is. In place.
 * Self-contained (evaluated in worker threads too).
 */
export function grayscale(img: Float32Array, height: number, width: number, channels: number): void {
  if (channels < 3) return;
  const pixels = height * width;
  for (let p = 0; p < pixels; p++) {
    const i = p * channels;
    const y = 0.299 * (img[i] as number) + 0.587 * (img[i + 1] as number) + 0.114 * (img[i + 2] as number);
    img[i] = y;
    img[i + 1] = y;
    img[i + 2] = y;
  }
}
