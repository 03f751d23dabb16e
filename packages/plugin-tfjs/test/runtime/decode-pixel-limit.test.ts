import { ImageDecoder, isMlopsError, type PluginApi } from '@mlops/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeNative } from '../../src/data/decode.js';
import { DEFAULT_DECODE_MAX_PIXELS, ImageTooLargeError } from '../../src/data/png/image-too-large-error.js';
import { PNG_SIGNATURE, pngChunk } from '../../src/data/png/png-chunks.js';
import { decodePng } from '../../src/data/png/png-decode.js';
import { encodePng } from '../../src/data/png/png-encode.js';
import { tfjs } from '../../src/plugin.js';
import { decodeImageBytes } from '../../src/runtime/tfjs-runtime.js';

/** A PNG whose header claims `width`×`height` RGB pixels but whose data is a few bytes. */
function forgedPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', Uint8Array.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('pixel limit of decoding', () => {
  it('rejects a PNG header claiming 100000×100000 before allocating, naming size and limit', async () => {
    const bytes = forgedPng(100_000, 100_000);
    expect(() => decodePng(bytes, { maxPixels: DEFAULT_DECODE_MAX_PIXELS })).toThrow(ImageTooLargeError);
    const error = await rejection(decodeImageBytes(bytes));
    expect(isMlopsError(error) && error.code).toBe('MLOPS_ERR_DATA_CORRUPT_IMAGE');
    expect((error as Error).message).toContain('100000×100000');
    expect((error as Error).message).toContain(String(DEFAULT_DECODE_MAX_PIXELS));
  });

  it('also limits training decodes (sharp default 0x3FFF²) where the PNG header is forged', async () => {
    await expect(decodeNative(forgedPng(100_000, 100_000))).rejects.toBeInstanceOf(ImageTooLargeError);
  });

  it('decodes an image at the limit and rejects one pixel over it', async () => {
    const png = encodePng(new Uint8Array(20 * 10 * 3).fill(7), 20, 10, 3);
    const ok = await decodeImageBytes(png, { maxPixels: 200 });
    expect([ok.width, ok.height, ok.channels]).toEqual([20, 10, 3]);
    const error = await rejection(decodeImageBytes(png, { maxPixels: 199 }));
    expect((error as Error).message).toMatch(/20×10 \(200 pixels\).*199/);
  });

  it('passes the limit to sharp for other formats (JPEG)', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    expect((await decodeImageBytes(jpeg, { maxPixels: 64 * 48 })).width).toBe(64);
    const error = await rejection(decodeImageBytes(jpeg, { maxPixels: 1000 }));
    expect(isMlopsError(error) && error.code).toBe('MLOPS_ERR_DATA_CORRUPT_IMAGE');
    expect((error as Error).message).toMatch(/64×48 \(3072 pixels\).*1000/);
  });

  it('rejects a deflate bomb: data inflating past the size the header states', () => {
    const small = encodePng(new Uint8Array(4 * 4), 4, 4, 1);
    const big = encodePng(new Uint8Array(400 * 400), 400, 400, 1);
    // The small image's header with the big image's data.
    const ihdrEnd = 8 + 12 + 13;
    const forged = Buffer.concat([small.subarray(0, ihdrEnd), big.subarray(ihdrEnd)]);
    expect(() => decodePng(forged)).toThrow(/corrupt/);
  });

  it('the plugin provides an ImageDecoder honouring tfjs({ maxPixels })', async () => {
    const provided = new Map<unknown, unknown>();
    const api = {
      provide: (token: unknown, value: unknown) => void provided.set(token, value),
      container: { resolve: () => ({}) },
    } as unknown as PluginApi;
    await tfjs({ maxPixels: 100 }).apply(api);
    const decoder = provided.get(ImageDecoder) as ImageDecoder;
    const png = encodePng(new Uint8Array(11 * 10), 11, 10, 1);
    await expect(decoder.decode(png)).rejects.toThrow(/11×10 \(110 pixels\).*100/);
  });
});
