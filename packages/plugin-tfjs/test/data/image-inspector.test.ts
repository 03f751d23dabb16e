import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { SharpImageInspector } from '../../src/data/image-inspector.js';
import { encodePng } from '../../src/data/png/png-encode.js';
import { pattern, tempDir } from './helpers/images.js';

describe('SharpImageInspector', () => {
  const inspector = new SharpImageInspector();
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    const rgb = pattern(48, 64, 3, (y, x, c) => (y * 5 + x * 3 + c * 40) % 256);
    const jpeg = await sharp(rgb, { raw: { width: 64, height: 48, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    const webp = await sharp(rgb, { raw: { width: 64, height: 48, channels: 3 } })
      .webp()
      .toBuffer();
    const png = encodePng(
      pattern(28, 28, 1, (y, x) => y * 9 + x),
      28,
      28,
      1,
    );
    const png16 = await sharp(
      pattern(6, 6, 1, () => 9),
      { raw: { width: 6, height: 6, channels: 1 } },
    )
      .toColourspace('grey16')
      .png()
      .toBuffer();
    await writeFile(join(dir, 'ok.jpg'), jpeg);
    await writeFile(join(dir, 'ok.webp'), webp);
    await writeFile(join(dir, 'ok.png'), png);
    await writeFile(join(dir, 'ok16.png'), png16);
    await writeFile(join(dir, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await writeFile(join(dir, 'truncated.png'), png.subarray(0, png.length - 30));
    await writeFile(join(dir, 'text.png'), 'hello');
  });

  it('reports size, channels and format of readable images', async () => {
    expect(await inspector.inspect(join(dir, 'ok.png'))).toEqual({
      width: 28,
      height: 28,
      channels: 1,
      format: 'png',
    });
    expect(await inspector.inspect(join(dir, 'ok.jpg'))).toEqual({
      width: 64,
      height: 48,
      channels: 3,
      format: 'jpeg',
    });
    expect(await inspector.inspect(join(dir, 'ok.webp'))).toMatchObject({
      width: 64,
      height: 48,
      format: 'webp',
    });
    expect(await inspector.inspect(join(dir, 'ok16.png'))).toMatchObject({
      width: 6,
      height: 6,
      format: 'png',
    });
  });

  it.each(['truncated.jpg', 'truncated.png', 'text.png'])('rejects %s with an error', async (name) => {
    await expect(inspector.inspect(join(dir, name))).rejects.toThrow(Error);
  });
});
