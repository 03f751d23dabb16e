import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { convertChannels } from './channels.js';
import { isPng } from './png/png-chunks.js';
import { type DecodedPng, decodePng, UnsupportedPngError } from './png/png-decode.js';
import { resizeCover } from './resize.js';

/** Target of {@link decodeImage}. */
export interface DecodeOptions {
  /** Output width and height (square). */
  size: number;
  /** 1 (gray) or 3 (RGB; gray images are repeated into 3 channels). */
  channels: 1 | 3;
}

/** Native 8-bit pixels of an image, before resizing. */
export type NativePixels = DecodedPng;

/**
 * Decodes an image file (or its bytes) to native 8-bit HWC pixels: 8-bit PNGs in JavaScript
 * (fast for small images), everything else (JPEG, WebP, 16-bit PNG, ...) with sharp, strictly
 * (`failOn: 'error'`, so truncated files throw). Alpha is dropped.
 */
export async function decodeNative(input: string | Uint8Array): Promise<NativePixels> {
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  if (isPng(bytes)) {
    try {
      return decodePng(bytes);
    } catch (error) {
      if (!(error instanceof UnsupportedPngError)) throw error;
    }
  }
  const { data, info } = await sharp(bytes, { failOn: 'error' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: info.channels as NativePixels['channels'],
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * Decodes an image to `size`×`size`×`channels` 8-bit HWC pixels: the central square, resampled
 * (see `resize.ts`), converted to 1 or 3 channels (see `channels.ts`).
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeOptions): Promise<Uint8Array> {
  const native = await decodeNative(input);
  const converted = convertChannels(
    native.data,
    native.width * native.height,
    native.channels,
    options.channels,
  );
  return resizeCover(converted, native.width, native.height, options.channels, options.size);
}
