import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { affineTransform } from '../../src/data/augment/affine-transform.js';
import { brightness, color, contrast, sharpness } from '../../src/data/augment/enhance-ops.js';
import { autoContrast, equalize } from '../../src/data/augment/histogram-ops.js';
import { invert, posterize, solarize, solarizeAdd } from '../../src/data/augment/point-ops.js';
import { rotationMatrix } from '../../src/data/augment/rotation-matrix.js';

/** Pillow's own results, written by fixtures/pil-rand-augment-golden.py. */
interface Golden {
  pillow: string;
  height: number;
  width: number;
  fill: { L: number; RGB: number[] };
  cases: { image: 'pattern' | 'noise'; mode: 'L' | 'RGB'; op: string; args: number[]; out: string }[];
}

const golden = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'pil-rand-augment-golden.json'), 'utf8'),
) as Golden;
const { height: H, width: W } = golden;
const PIXELS = {
  pattern: (y: number, x: number, c: number) => (20 + y * 13 + x * 7 + c * 40 + ((x * y) % 5) * 9) % 256,
  noise: (y: number, x: number, c: number) => (x * x * 31 + y * 17 + c * 101 + x * y * 7 + y * y * 3) % 256,
};

const source = (image: 'pattern' | 'noise', channels: number): Uint8Array => {
  const img = new Uint8Array(H * W * channels);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < channels; c++) img[(y * W + x) * channels + c] = PIXELS[image](y, x, c);
  return img;
};

/** Runs one op of ours the way timm's op calls Pillow. */
const apply = (
  name: string,
  args: number[],
  img: Uint8Array,
  channels: number,
  fill: number[],
): Uint8Array => {
  const arg = args[0] as number;
  const scratch = new Uint8Array(img.length);
  // Geometric cases are named `op/bilinear` or `op/bicubic`.
  const [op, resample] = name.split('/');
  const affine = (matrix: number[]): Uint8Array => {
    affineTransform(img, scratch, H, W, channels, matrix, fill, resample === 'bicubic');
    return scratch;
  };
  switch (op) {
    case 'posterize':
      posterize(img, arg);
      return img;
    case 'solarize':
      solarize(img, arg);
      return img;
    case 'solarizeAdd':
      solarizeAdd(img, arg, 128);
      return img;
    case 'invert':
      invert(img);
      return img;
    case 'autoContrast':
      autoContrast(img, channels);
      return img;
    case 'equalize':
      equalize(img, channels);
      return img;
    case 'brightness':
      brightness(img, arg);
      return img;
    case 'contrast':
      contrast(img, channels, arg);
      return img;
    case 'color':
      color(img, channels, arg);
      return img;
    case 'sharpness':
      sharpness(img, H, W, channels, arg, scratch);
      return img;
    case 'rotate':
      return affine(rotationMatrix(arg, W, H));
    case 'shearX':
      return affine([1, arg, 0, 0, 1, 0]);
    case 'shearY':
      return affine([1, 0, 0, arg, 1, 0]);
    case 'translateXRel':
      return affine([1, 0, arg * W, 0, 1, 0]);
    case 'translateYRel':
      return affine([1, 0, 0, 0, 1, arg * H]);
    default:
      throw new Error(`no op ${op}`);
  }
};

describe(`RandAugment ops against Pillow ${golden.pillow}`, () => {
  it('has cases for every op in L and RGB', () => {
    const ops = new Set(golden.cases.map((c) => c.op));
    // 10 pixel ops + 5 geometric ops × 2 interpolations.
    expect(ops.size).toBe(20);
    expect(golden.cases.length).toBeGreaterThan(250);
  });

  it.each(golden.cases.map((c) => [`${c.op}(${c.args.join(', ')}) ${c.mode} ${c.image}`, c] as const))(
    '%s matches Pillow exactly',
    (_label, c) => {
      const channels = c.mode === 'L' ? 1 : 3;
      const fill = c.mode === 'L' ? [golden.fill.L] : golden.fill.RGB;
      const ours = apply(c.op, c.args, source(c.image, channels), channels, fill);
      const pillow = Buffer.from(c.out, 'base64');
      const off: string[] = [];
      for (let i = 0; i < pillow.length; i++) {
        if (ours[i] !== pillow[i]) off.push(`#${i}: ${ours[i]} vs ${pillow[i]}`);
      }
      expect(off.slice(0, 8)).toEqual([]);
    },
  );
});
