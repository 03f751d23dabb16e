import { pixelPreprocessing } from '@mlops/core';

/**
 * Channel conversion of 8-bit HWC pixels to what the model takes: 1 (gray) or 3 (RGB). Alpha is
 * dropped, not blended (as PIL's `convert('RGB')`, which timm uses, does); gray is repeated into 3
 * channels; RGB becomes gray by ITU-R 601-2 luma (PIL's `convert('L')`). Core's one
 * implementation (`PixelPreprocessing.convertChannels` in `@mlops/core`).
 */
export const convertChannels: (src: Uint8Array, pixels: number, from: number, to: 1 | 3) => Uint8Array =
  pixelPreprocessing.convertChannels;
