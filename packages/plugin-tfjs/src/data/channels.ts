/**
 * Channel conversion of 8-bit HWC pixels to what the model takes: 1 (gray) or 3 (RGB).
 * Alpha is dropped, not blended (as PIL's `convert('RGB')`, which timm uses, does); gray is
 * repeated into 3 channels; RGB becomes gray by ITU-R 601-2 luma (PIL's `convert('L')`).
 */
export function convertChannels(src: Uint8Array, pixels: number, from: number, to: 1 | 3): Uint8Array {
  if (from === to) return src;
  const out = new Uint8Array(pixels * to);
  const colour = from >= 3;
  for (let p = 0; p < pixels; p++) {
    const s = p * from;
    if (to === 1) {
      out[p] = colour
        ? Math.round(
            ((src[s] as number) * 299 + (src[s + 1] as number) * 587 + (src[s + 2] as number) * 114) / 1000,
          )
        : (src[s] as number);
    } else if (colour) {
      out[p * 3] = src[s] as number;
      out[p * 3 + 1] = src[s + 1] as number;
      out[p * 3 + 2] = src[s + 2] as number;
    } else {
      const v = src[s] as number;
      out[p * 3] = v;
      out[p * 3 + 1] = v;
      out[p * 3 + 2] = v;
    }
  }
  return out;
}
