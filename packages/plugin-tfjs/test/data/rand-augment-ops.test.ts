import { describe, expect, it } from 'vitest';
import { affineTransform } from '../../src/data/augment/affine-transform.js';
import { brightness, color, contrast, sharpness } from '../../src/data/augment/enhance-ops.js';
import { autoContrast, equalize } from '../../src/data/augment/histogram-ops.js';
import { invert, posterize, solarize, solarizeAdd } from '../../src/data/augment/point-ops.js';
import { rotationMatrix } from '../../src/data/augment/rotation-matrix.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const list = (img: Uint8Array): number[] => [...img];

describe('point ops (PIL lookup tables)', () => {
  it('invert maps v to 255 − v', () => {
    const img = bytes(0, 10, 128, 255);
    invert(img);
    expect(list(img)).toEqual([255, 245, 127, 0]);
  });

  it('posterize keeps the top bits; 0 bits blackens, 8 bits is the identity', () => {
    const img = bytes(0x3f, 0x40, 0xff, 0xbf);
    posterize(img, 2);
    expect(list(img)).toEqual([0x00, 0x40, 0xc0, 0x80]);
    const four = bytes(0x1f, 0xf7);
    posterize(four, 4);
    expect(list(four)).toEqual([0x10, 0xf0]);
    const none = bytes(1, 200);
    posterize(none, 0);
    expect(list(none)).toEqual([0, 0]);
    const all = bytes(1, 200);
    posterize(all, 8);
    expect(list(all)).toEqual([1, 200]);
  });

  it('solarize inverts values at or above the threshold; 256 is the identity', () => {
    const img = bytes(0, 127, 128, 200, 255);
    solarize(img, 128);
    expect(list(img)).toEqual([0, 127, 127, 55, 0]);
    const same = bytes(0, 255);
    solarize(same, 256);
    expect(list(same)).toEqual([0, 255]);
  });

  it('solarizeAdd adds below the threshold only', () => {
    const img = bytes(0, 100, 127, 128, 250);
    solarizeAdd(img, 50, 128);
    expect(list(img)).toEqual([50, 150, 177, 128, 250]);
  });
});

describe('histogram ops', () => {
  it('autoContrast stretches each channel to [0, 255] with PIL truncation; flat channels stay', () => {
    // 3 pixels × 2 channels: channel 0 spans 50..150, channel 1 is flat.
    const img = bytes(50, 9, 100, 9, 150, 9);
    autoContrast(img, 2);
    // scale 2.55, offset −127.5: int(100 · 2.55 − 127.5) = int(127.5) = 127.
    expect(list(img)).toEqual([0, 9, 127, 9, 255, 9]);
  });

  it('equalize spreads the cumulative histogram like ImageOps.equalize', () => {
    // 255 pixels each of 10, 20, 30: step = (765 − 255) // 255 = 2, n starts at 1,
    // lut[10] = 1 // 2 = 0, lut[20] = 256 // 2 = 128, lut[30] = 511 // 2 = 255.
    const img = new Uint8Array(765);
    img.fill(10, 0, 255);
    img.fill(20, 255, 510);
    img.fill(30, 510);
    equalize(img, 1);
    expect([img[0], img[300], img[700]]).toEqual([0, 128, 255]);
    // A single occupied value (or too few pixels for a step) is left alone.
    const flat = new Uint8Array(10).fill(77);
    equalize(flat, 1);
    expect(list(flat)).toEqual(new Array(10).fill(77));
  });
});

describe('enhance ops (PIL ImageEnhance: blend with a degenerate image, truncate, clip)', () => {
  it('brightness scales values', () => {
    const img = bytes(0, 101, 255);
    brightness(img, 0.5);
    expect(list(img)).toEqual([0, 50, 127]);
    const up = bytes(100, 200);
    brightness(up, 1.5);
    expect(list(up)).toEqual([150, 255]);
  });

  it('contrast blends with the rounded mean luma', () => {
    // mean of 10, 20, 31 = 20.33 → 20.
    const img = bytes(10, 20, 31);
    contrast(img, 1, 2);
    expect(list(img)).toEqual([0, 20, 42]);
    const flat = bytes(10, 20, 31);
    contrast(flat, 1, 0);
    expect(list(flat)).toEqual([20, 20, 20]);
  });

  it('color blends with the pixel gray (PIL L = (19595 R + 38470 G + 7471 B + 2^15) >> 16)', () => {
    const img = bytes(255, 0, 0);
    color(img, 3, 0);
    expect(list(img)).toEqual([76, 76, 76]);
    const gray = bytes(10, 200);
    color(gray, 1, 0);
    expect(list(gray)).toEqual([10, 200]);
  });

  it('sharpness blends with the SMOOTH-filtered image; the border is unchanged', () => {
    const img = () => bytes(0, 0, 0, 0, 130, 0, 0, 0, 0);
    const scratch = new Uint8Array(9);
    const soft = img();
    sharpness(soft, 3, 3, 1, 0, scratch);
    expect(list(soft)).toEqual([0, 0, 0, 0, 50, 0, 0, 0, 0]);
    const sharp = img();
    sharpness(sharp, 3, 3, 1, 2, scratch);
    expect(list(sharp)).toEqual([0, 0, 0, 0, 210, 0, 0, 0, 0]);
    const same = img();
    sharpness(same, 3, 3, 1, 1, scratch);
    expect(list(same)).toEqual(list(img()));
  });
});

describe('affine transform (PIL Image.transform AFFINE, bilinear, fill)', () => {
  const grid = bytes(1, 2, 3, 4, 5, 6, 7, 8, 9);

  it('rotates a 3×3 by 90° counter-clockwise exactly, like Image.rotate(90)', () => {
    const out = new Uint8Array(9);
    affineTransform(grid, out, 3, 3, 1, rotationMatrix(90, 3, 3), [0]);
    expect(list(out)).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7]);
    affineTransform(grid, out, 3, 3, 1, rotationMatrix(-90, 3, 3), [0]);
    expect(list(out)).toEqual([7, 4, 1, 8, 5, 2, 9, 6, 3]);
    affineTransform(grid, out, 3, 3, 1, rotationMatrix(0, 3, 3), [0]);
    expect(list(out)).toEqual(list(grid));
  });

  it('shears X with positive factor by sampling further right on lower rows; fills outside', () => {
    const src = bytes(10, 20, 30, 40, 50, 60, 70, 80, 90);
    const out = new Uint8Array(9);
    // Row 0 samples x + 0.5 (half-way to the right neighbour), row 1 x + 1.5, row 2 x + 2.5.
    affineTransform(src, out, 3, 3, 1, [1, 1, 0, 0, 1, 0], [99]);
    expect(list(out)).toEqual([15, 25, 99, 55, 99, 99, 99, 99, 99]);
  });

  it('translates by whole pixels: positive x offset moves content left, positive y up', () => {
    const out = new Uint8Array(9);
    affineTransform(grid, out, 3, 3, 1, [1, 0, 1, 0, 1, 0], [0]);
    expect(list(out)).toEqual([2, 3, 0, 5, 6, 0, 8, 9, 0]);
    affineTransform(grid, out, 3, 3, 1, [1, 0, 0, 0, 1, 1], [0]);
    expect(list(out)).toEqual([4, 5, 6, 7, 8, 9, 0, 0, 0]);
  });

  it('fills each channel of an RGB image with its own fill value', () => {
    const rgb = new Uint8Array(2 * 2 * 3).fill(200);
    const out = new Uint8Array(12);
    affineTransform(rgb, out, 2, 2, 3, [1, 0, 1, 0, 1, 0], [124, 116, 104]);
    expect(list(out)).toEqual([200, 200, 200, 124, 116, 104, 200, 200, 200, 124, 116, 104]);
  });
});
