/** Mirrors an HWC image top–bottom, in place. Self-contained (evaluated in worker threads too). */
export function verticalFlip(img: Float32Array, height: number, width: number, channels: number): void {
  const rowLength = width * channels;
  for (let t = 0, b = height - 1; t < b; t++, b--) {
    for (let i = 0; i < rowLength; i++) {
      const top = t * rowLength + i;
      const bottom = b * rowLength + i;
      const v = img[top] as number;
      img[top] = img[bottom] as number;
      img[bottom] = v;
    }
  }
}
