import { constants } from 'node:buffer';
import { crc32, inflateSync } from 'node:zlib';
import { ImageTooLargeError } from './image-too-large-error.js';
import { isPng } from './png-chunks.js';

/** Pixels of a decoded PNG: 8-bit HWC. */
export interface DecodedPng {
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette images are expanded to RGB). */
  channels: 1 | 2 | 3 | 4;
  /** `height * width * channels` bytes. */
  data: Uint8Array;
}

/** A valid PNG that {@link decodePng} does not handle (16-bit, < 8-bit, interlaced): use sharp. */
export class UnsupportedPngError extends Error {
  override readonly name = 'UnsupportedPngError';
}

const CHANNELS_BY_COLOR_TYPE: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const CRITICAL_CHUNKS = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);

/** Options of {@link decodePng}. */
export interface DecodePngOptions {
  /** Largest `width * height` decoded; larger headers throw {@link ImageTooLargeError}. Default: unlimited. */
  maxPixels?: number;
}

/**
 * Decodes an 8-bit, non-interlaced PNG in JavaScript, strictly: truncated files, bad CRCs of
 * critical chunks, and pixel data of the wrong length all throw an Error saying what is wrong.
 * Valid PNGs outside that profile throw {@link UnsupportedPngError}. Much faster than sharp for
 * small images, whose cost is dominated by sharp's per-call overhead.
 *
 * The header's size is checked against `maxPixels` as soon as the IHDR chunk is read, before any
 * pixel memory is allocated, and inflation is capped at the size the header implies, so neither a
 * forged header nor a deflate bomb can make it allocate more than the limit allows.
 */
export function decodePng(bytes: Uint8Array, options: DecodePngOptions = {}): DecodedPng {
  const maxPixels = options.maxPixels ?? Number.POSITIVE_INFINITY;
  if (!isPng(bytes)) throw new Error('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let header:
    | { width: number; height: number; depth: number; colorType: number; interlace: number }
    | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (!ended) {
    if (offset + 8 > bytes.length) throw new Error('PNG is truncated: it ends before the IEND chunk');
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > bytes.length)
      throw new Error(`PNG is truncated: the ${type} chunk ends past the end of the file`);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (
      CRITICAL_CHUNKS.has(type) &&
      crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(end - 4)
    ) {
      throw new Error(`PNG is corrupt: CRC mismatch in the ${type} chunk`);
    }
    if (type === 'IHDR') {
      const h = new DataView(data.buffer, data.byteOffset, data.byteLength);
      header = {
        width: h.getUint32(0),
        height: h.getUint32(4),
        depth: data[8] ?? 0,
        colorType: data[9] ?? 0,
        interlace: data[12] ?? 0,
      };
      if (header.width * header.height > maxPixels) {
        throw new ImageTooLargeError(header.width, header.height, maxPixels);
      }
    } else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    offset = end;
  }
  if (!header) throw new Error('PNG is corrupt: no IHDR chunk');
  const { width, height, depth, colorType, interlace } = header;
  const stored = CHANNELS_BY_COLOR_TYPE[colorType];
  if (stored === undefined || width === 0 || height === 0)
    throw new Error(`PNG is corrupt: bad header (color type ${colorType})`);
  if (depth !== 8 || interlace !== 0)
    throw new UnsupportedPngError(`PNG with bit depth ${depth}, interlace ${interlace}`);
  if (colorType === 3 && !palette) throw new Error('PNG is corrupt: palette image without a PLTE chunk');

  const stride = width * stored;
  const expected = height * (stride + 1);
  let inflated: Buffer;
  try {
    // Capped just above the size the header implies: a deflate bomb fails here instead of
    // allocating gigabytes, and excess data is an error rather than silently cut off.
    inflated = inflateSync(Buffer.concat(idat), {
      maxOutputLength: Math.min(expected + 1, constants.MAX_LENGTH),
    });
  } catch (error) {
    throw new Error(`PNG is corrupt: image data does not inflate (${(error as Error).message})`);
  }
  if (inflated.length !== expected) {
    throw new Error(`PNG is corrupt: ${inflated.length} bytes of image data, expected ${expected}`);
  }
  const pixels = unfilter(inflated, width, height, stored);
  if (colorType === 3 && palette) return { width, height, channels: 3, data: expandPalette(pixels, palette) };
  return { width, height, channels: stored, data: pixels };
}

/** Reverses the per-row PNG filters (none, sub, up, average, Paeth) for 8-bit samples. */
function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const value = raw[src + x] as number;
      const left = x >= bpp ? (out[row + x - bpp] as number) : 0;
      const up = y > 0 ? (out[prev + x] as number) : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const upLeft = y > 0 && x >= bpp ? (out[prev + x - bpp] as number) : 0;
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      } else if (filter !== 0) throw new Error(`PNG is corrupt: unknown row filter ${filter}`);
      out[row + x] = (value + predictor) & 0xff;
    }
  }
  return out;
}

function expandPalette(indices: Uint8Array, palette: Uint8Array): Uint8Array {
  const out = new Uint8Array(indices.length * 3);
  for (let i = 0; i < indices.length; i++) {
    const p = (indices[i] ?? 0) * 3;
    if (p + 2 >= palette.length) throw new Error('PNG is corrupt: palette index out of range');
    out[i * 3] = palette[p] ?? 0;
    out[i * 3 + 1] = palette[p + 1] ?? 0;
    out[i * 3 + 2] = palette[p + 2] ?? 0;
  }
  return out;
}
