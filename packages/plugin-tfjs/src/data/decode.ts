import { readFile } from 'node:fs/promises';
import type { ResizeRecipe } from '@mlops/core';
import sharp from 'sharp';
import { convertChannels } from './channels.js';
import { ImageTooLargeError, SHARP_DEFAULT_MAX_PIXELS } from './png/image-too-large-error.js';
import { isPng } from './png/png-chunks.js';
import { type DecodedPng, decodePng, UnsupportedPngError } from './png/png-decode.js';
import { resizeToInput } from './resize.js';

/** Target of {@link decodeImage}. */
export interface DecodeOptions {
  /** Output width and height (square). */
  size: number;
  /** 1 (gray) or 3 (RGB; gray images are repeated into 3 channels). */
  channels: 1 | 3;
  /** How the image becomes `size`×`size`; default the central square (`cover`). */
  resize?: ResizeRecipe;
}

/** Native 8-bit pixels of an image, before resizing. */
export type NativePixels = DecodedPng;

/** Options of {@link decodeNative}. */
export interface DecodeNativeOptions {
  /**
   * Largest `width * height` decoded (sharp's `limitInputPixels`; checked on the PNG header
   * before allocating). Larger images throw {@link ImageTooLargeError}. Default: sharp's own
   * default, 0x3FFF² ≈ 268 M.
   */
  maxPixels?: number;
}

/**
 * Decodes an image file (or its bytes) to native 8-bit HWC pixels: 8-bit PNGs in JavaScript
 * (fast for small images), everything else (JPEG, WebP, 16-bit PNG, ...) with sharp, strictly
 * (`failOn: 'error'`, so truncated files throw). Alpha is dropped.
 */
export async function decodeNative(
  input: string | Uint8Array,
  options: DecodeNativeOptions = {},
): Promise<NativePixels> {
  const maxPixels = options.maxPixels ?? SHARP_DEFAULT_MAX_PIXELS;
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  if (isPng(bytes)) {
    try {
      return decodePng(bytes, { maxPixels });
    } catch (error) {
      if (!(error instanceof UnsupportedPngError)) throw error;
    }
  }
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(bytes, { failOn: 'error', limitInputPixels: sharpLimit(maxPixels) })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    // sharp says only "Input image exceeds pixel limit"; the header tells the size for the message.
    if (/pixel limit/i.test((error as Error)?.message ?? '')) {
      const meta = await sharp(bytes, { limitInputPixels: false })
        .metadata()
        .catch(() => undefined);
      throw new ImageTooLargeError(meta?.width, meta?.height, maxPixels);
    }
    throw error;
  }
  const { data, info } = decoded;
  return {
    width: info.width,
    height: info.height,
    channels: info.channels as NativePixels['channels'],
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * Decodes an image to `size`×`size`×`channels` 8-bit HWC pixels: resized by `options.resize`
 * (see `resize.ts`; the central square by default), converted to 1 or 3 channels (see `channels.ts`).
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeOptions): Promise<Uint8Array> {
  const native = await decodeNative(input);
  const converted = convertChannels(
    native.data,
    native.width * native.height,
    native.channels,
    options.channels,
  );
  return resizeToInput(
    converted,
    native.width,
    native.height,
    options.channels,
    options.size,
    options.resize,
  );
}

/** sharp wants an integral limit, or `false` for none. */
function sharpLimit(maxPixels: number): number | false {
  return Number.isFinite(maxPixels) ? Math.max(1, Math.floor(maxPixels)) : false;
}
