/** Mirrors an HWC image left–right, in place. Self-contained (evaluated in worker threads too). */
export function horizontalFlip(img: Float32Array, height: number, width: number, channels: number): void {
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let l = 0, r = width - 1; l < r; l++, r--) {
      for (let c = 0; c < channels; c++) {
        const a = row + l * channels + c;
        const b = row + r * channels + c;
        const t = img[a] as number;
        img[a] = img[b] as number;
        img[b] = t;
      }
    }
  }
}
