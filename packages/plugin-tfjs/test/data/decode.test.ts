import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { convertChannels } from '../../src/data/channels.js';
import { decodeImage } from '../../src/data/decode.js';
import { encodePng } from '../../src/data/png/png-encode.js';
import { resizeCover } from '../../src/data/resize.js';
import { pattern } from './helpers/images.js';

describe('decoding', () => {
  const gray = pattern(28, 28, 1, (y, x) => (y * 28 + x) % 256);

  it('keeps a gray PNG of the target size exactly, and repeats gray into 3 channels', async () => {
    const png = encodePng(gray, 28, 28, 1);
    expect(await decodeImage(png, { size: 28, channels: 1 })).toEqual(gray);
    const rgb = await decodeImage(png, { size: 28, channels: 3 });
    expect(rgb).toHaveLength(28 * 28 * 3);
    for (let p = 0; p < 28 * 28; p++) {
      expect([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]]).toEqual([gray[p], gray[p], gray[p]]);
    }
  });

  it('converts RGB to gray by luma and drops alpha', () => {
    const rgba = Uint8Array.from([255, 0, 0, 9, 0, 255, 0, 9, 0, 0, 255, 9]);
    expect(convertChannels(rgba, 3, 4, 1)).toEqual(Uint8Array.from([76, 150, 29]));
    expect(convertChannels(rgba, 3, 4, 3)).toEqual(Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]));
  });

  it('crops the central square and resizes (cover), antialiased', () => {
    // 4 wide × 2 high: the central 2×2 square holds the values 1, 2 (row 0) and 5, 6 (row 1).
    const src = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(resizeCover(src, 4, 2, 1, 2)).toEqual(Uint8Array.from([1, 2, 5, 6]));
    // Shrinking a checkerboard by 2 averages it (away from the borders, which PIL also weights unevenly).
    const checker = pattern(8, 8, 1, (y, x) => ((x + y) % 2) * 200);
    const small = resizeCover(checker, 8, 8, 1, 4);
    expect([small[5], small[6], small[9], small[10]]).toEqual([100, 100, 100, 100]);
    expect([...small].every((v) => v >= 50 && v <= 150)).toBe(true);
    // Upscaling keeps the value range and the size.
    const up = resizeCover(gray, 28, 28, 1, 64);
    expect(up).toHaveLength(64 * 64);
  });

  it('decodes JPEG through sharp to the requested size and channels', async () => {
    const rgb = pattern(30, 40, 3, (y, x, c) => (c === 0 ? 200 : c === 1 ? 100 : 50) + ((x + y) % 2));
    const jpeg = await sharp(rgb, { raw: { width: 40, height: 30, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const out = await decodeImage(jpeg, { size: 16, channels: 3 });
    expect(out).toHaveLength(16 * 16 * 3);
    expect(Math.abs((out[0] ?? 0) - 200)).toBeLessThan(8);
    expect(Math.abs((out[2] ?? 0) - 50)).toBeLessThan(8);
    expect(await decodeImage(jpeg, { size: 16, channels: 1 })).toHaveLength(16 * 16);
  });
});
