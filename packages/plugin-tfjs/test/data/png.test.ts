import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodePng, UnsupportedPngError } from '../../src/data/png/png-decode.js';
import { encodePng } from '../../src/data/png/png-encode.js';
import { pattern } from './helpers/images.js';

describe('PNG codec', () => {
  it.each([1, 2, 3, 4] as const)(
    'round-trips %i-channel pixels, and sharp reads them the same',
    async (channels) => {
      const pixels = pattern(7, 5, channels, (y, x, c) => (y * 31 + x * 17 + c * 50) % 256);
      const png = encodePng(pixels, 5, 7, channels);
      const decoded = decodePng(png);
      expect(decoded).toMatchObject({ width: 5, height: 7, channels });
      expect(decoded.data).toEqual(pixels);
      expect((await sharp(png).metadata()).channels).toBe(channels);
      // sharp outputs sRGB by default: compare channel by channel.
      const byCount: (0 | 1 | 2 | 'alpha')[][] = [[0], [0, 'alpha'], [0, 1, 2], [0, 1, 2, 'alpha']];
      const names = byCount[channels - 1] ?? [];
      for (const [c, name] of names.entries()) {
        const plane = await sharp(png).extractChannel(name).raw().toBuffer();
        expect(new Uint8Array(plane)).toEqual(pixels.filter((_, i) => i % channels === c));
      }
    },
  );

  it('decodes filtered PNGs written by libpng (all row filters) like sharp does', async () => {
    const rgb = pattern(32, 40, 3, (y, x, c) => (y * y + x * 3 + c * 7) % 256);
    const png = await sharp(rgb, { raw: { width: 40, height: 32, channels: 3 } })
      .png({ adaptiveFiltering: true, compressionLevel: 9 })
      .toBuffer();
    expect(decodePng(png).data).toEqual(rgb);
    const colourful = pattern(32, 40, 3, (y, x, c) => ((y * 40 + x) * (c + 3)) % 256);
    const palette = await sharp(colourful, { raw: { width: 40, height: 32, channels: 3 } })
      .png({ palette: true, colours: 200 })
      .toBuffer();
    const expected = await sharp(palette).removeAlpha().raw().toBuffer();
    expect(Buffer.from(decodePng(palette).data)).toEqual(expected);
  });

  it('rejects truncated and damaged files with a reason', () => {
    const png = encodePng(
      pattern(8, 8, 1, (y, x) => y * 8 + x),
      8,
      8,
      1,
    );
    expect(() => decodePng(png.subarray(0, png.length - 20))).toThrow(/truncated/);
    expect(() => decodePng(png.subarray(0, 20))).toThrow(/truncated/);
    const damaged = Buffer.from(png);
    damaged[45] = (damaged[45] ?? 0) ^ 0xff; // inside the IDAT data
    expect(() => decodePng(damaged)).toThrow(/CRC mismatch|corrupt/);
    expect(() => decodePng(Buffer.from('not a png at all'))).toThrow(/signature/);
  });

  it('leaves 16-bit PNGs to sharp', async () => {
    const png16 = await sharp(
      pattern(4, 4, 1, () => 100),
      { raw: { width: 4, height: 4, channels: 1 } },
    )
      .toColourspace('grey16')
      .png()
      .toBuffer();
    expect(() => decodePng(png16)).toThrow(UnsupportedPngError);
  });
});
