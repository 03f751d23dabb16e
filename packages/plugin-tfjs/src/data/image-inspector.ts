import { readFile } from 'node:fs/promises';
import type { ImageInfo, ImageInspector } from '@mlops/core';
import sharp from 'sharp';
import { isPng } from './png/png-chunks.js';
import { decodePng, UnsupportedPngError } from './png/png-decode.js';

/**
 * Checks images by decoding them fully, the way the input pipeline will: 8-bit PNGs with the
 * strict JavaScript decoder (truncation, CRC errors and short pixel data are caught), other
 * formats with sharp and `failOn: 'error'` (libvips' truncation and decode errors fail instead of
 * yielding a partly grey image). Reports the native size, channels and format.
 */
export class SharpImageInspector implements ImageInspector {
  /** Decodes `path`; throws an Error saying why when it cannot. */
  async inspect(path: string): Promise<ImageInfo> {
    const bytes = await readFile(path);
    if (isPng(bytes)) {
      try {
        const png = decodePng(bytes);
        return { width: png.width, height: png.height, channels: png.channels, format: 'png' };
      } catch (error) {
        if (!(error instanceof UnsupportedPngError)) throw error;
      }
    }
    const image = sharp(bytes, { failOn: 'error' });
    const metadata = await image.metadata();
    // metadata() reads only the header; decoding every pixel is what finds truncated data.
    const { info } = await image.raw().toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      channels: metadata.channels ?? info.channels,
      format: metadata.format ?? 'unknown',
    };
  }
}
