import { describe, expect, it } from 'vitest';
import { augmentBatch } from '../../src/data/augment/augment-batch.js';
import { type AugmentParams, augmentParams } from '../../src/data/augment/augment-params.js';
import { colorJitter } from '../../src/data/augment/color-jitter.js';
import { gaussianBlur } from '../../src/data/augment/gaussian-blur.js';
import { grayscale } from '../../src/data/augment/grayscale.js';
import { horizontalFlip } from '../../src/data/augment/horizontal-flip.js';
import { augmentKernels } from '../../src/data/augment/kernels.js';
import { randomErasing } from '../../src/data/augment/random-erasing.js';
import { randomResizedCropBox, resizedCrop } from '../../src/data/augment/random-resized-crop.js';
import { verticalFlip } from '../../src/data/augment/vertical-flip.js';
import { normalizeInPlace } from '../../src/data/normalize.js';
import { createRng } from '../../src/data/rng.js';
import { pattern, stats } from './helpers/images.js';

const H = 12;
const W = 10;
const at = (img: ArrayLike<number>, y: number, x: number, c: number, channels: number): number =>
  img[(y * W + x) * channels + c] as number;
const floats = (
  channels: number,
  pixel = (y: number, x: number, c: number) => 50 + ((y * 7 + x * 11 + c * 13) % 100),
) => Float32Array.from(pattern(H, W, channels, pixel));

describe('flips', () => {
  it('horizontal flip mirrors each row; twice is the identity', () => {
    const img = floats(3);
    const flipped = img.slice();
    horizontalFlip(flipped, H, W, 3);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++)
        for (let c = 0; c < 3; c++) expect(at(flipped, y, x, c, 3)).toBe(at(img, y, W - 1 - x, c, 3));
    }
    horizontalFlip(flipped, H, W, 3);
    expect(flipped).toEqual(img);
  });

  it('vertical flip mirrors the rows', () => {
    const img = floats(1);
    const flipped = img.slice();
    verticalFlip(flipped, H, W, 1);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) expect(at(flipped, y, x, 0, 1)).toBe(at(img, H - 1 - y, x, 0, 1));
  });
});

describe('random resized crop', () => {
  it('picks a deterministic box inside the image with an area in the scale range', () => {
    for (let seed = 0; seed < 50; seed++) {
      const box = randomResizedCropBox(64, 48, createRng(seed), [0.08, 1], [3 / 4, 4 / 3]);
      expect(randomResizedCropBox(64, 48, createRng(seed), [0.08, 1], [3 / 4, 4 / 3])).toEqual(box);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top + box.height).toBeLessThanOrEqual(64);
      expect(box.left + box.width).toBeLessThanOrEqual(48);
      const fraction = (box.height * box.width) / (64 * 48);
      expect(fraction).toBeGreaterThan(0.05);
      expect(fraction).toBeLessThanOrEqual(1);
    }
  });

  it('resamples the box back to the full size; the whole image is copied unchanged', () => {
    const src = pattern(H, W, 3, (y, x, c) => y * 10 + x + c);
    const same = new Float32Array(H * W * 3);
    resizedCrop(src, 0, H, W, 3, { top: 0, left: 0, height: H, width: W }, same);
    expect(same).toEqual(Float32Array.from(src));
    const zoomed = new Float32Array(H * W * 3);
    resizedCrop(src, 0, H, W, 3, { top: 2, left: 3, height: 6, width: 5 }, zoomed);
    expect(zoomed).toHaveLength(H * W * 3);
    expect(Math.min(...zoomed.filter((_, i) => i % 3 === 0))).toBe(2 * 10 + 3);
    expect(Math.max(...zoomed.filter((_, i) => i % 3 === 0))).toBe(7 * 10 + 7);
  });
});

describe('color jitter', () => {
  it('is deterministic and moves mean and contrast within the strength bounds', () => {
    const img = floats(3);
    const before = stats(img);
    let changed = 0;
    for (let seed = 0; seed < 30; seed++) {
      const a = img.slice();
      colorJitter(a, H, W, 3, createRng(seed), 0.4);
      const b = img.slice();
      colorJitter(b, H, W, 3, createRng(seed), 0.4);
      expect(b).toEqual(a);
      const after = stats(a);
      if (Math.abs(after.mean - before.mean) > 1) changed++;
      expect(after.mean / before.mean).toBeGreaterThan(0.6 - 1e-3);
      expect(after.mean / before.mean).toBeLessThan(1.4 + 1e-3);
      const stdRatio = Math.sqrt(after.variance / before.variance);
      expect(stdRatio).toBeGreaterThan(0.6 * 0.6 * 0.6 - 1e-3);
      expect(stdRatio).toBeLessThan(1.4 * 1.4 * 1.4 + 1e-3);
      expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...a)).toBeLessThanOrEqual(255);
    }
    expect(changed).toBeGreaterThan(20);
  });

  it('leaves the hue of a gray image alone (saturation is a no-op on one channel)', () => {
    const img = floats(1);
    colorJitter(img, H, W, 1, createRng(3), 0.4);
    expect(img).toHaveLength(H * W);
  });
});

describe('grayscale', () => {
  it('makes the three channels equal (luma) and ignores 1-channel images', () => {
    const img = floats(3);
    grayscale(img, H, W, 3);
    for (let p = 0; p < H * W; p++) {
      expect(img[p * 3]).toBe(img[p * 3 + 1]);
      expect(img[p * 3 + 1]).toBe(img[p * 3 + 2]);
    }
    const gray = floats(1);
    const copy = gray.slice();
    grayscale(gray, H, W, 1);
    expect(gray).toEqual(copy);
  });
});

describe('gaussian blur', () => {
  it('reduces variance more with a larger sigma and keeps the mean', () => {
    const rng = createRng(5);
    const noise = Float32Array.from({ length: 32 * 32 }, () => rng.uniform(0, 255));
    const small = noise.slice();
    gaussianBlur(small, 32, 32, 1, 0.5);
    const large = noise.slice();
    gaussianBlur(large, 32, 32, 1, 2);
    expect(stats(small).variance).toBeLessThan(stats(noise).variance * 0.6);
    expect(stats(large).variance).toBeLessThan(stats(small).variance);
    expect(stats(large).mean).toBeCloseTo(stats(noise).mean, -1);
  });
});

describe('random erasing', () => {
  it('fills exactly one rectangle of 2–33% of the area with noise, deterministically', () => {
    for (let seed = 0; seed < 20; seed++) {
      const img = new Float32Array(H * W * 3).fill(7);
      const box = randomErasing(img, H, W, 3, createRng(seed));
      const again = new Float32Array(H * W * 3).fill(7);
      expect(randomErasing(again, H, W, 3, createRng(seed))).toEqual(box);
      expect(again).toEqual(img);
      if (!box) continue;
      const area = box.height * box.width;
      expect(area / (H * W)).toBeGreaterThanOrEqual(0.01);
      expect(area / (H * W)).toBeLessThanOrEqual(0.4);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const inside =
            y >= box.top && y < box.top + box.height && x >= box.left && x < box.left + box.width;
          for (let c = 0; c < 3; c++) {
            if (inside) expect(at(img, y, x, c, 3)).not.toBe(7);
            else expect(at(img, y, x, c, 3)).toBe(7);
          }
        }
      }
    }
  });
});

describe('normalize', () => {
  it('maps [0, 255] to (v/255 − mean)/std per channel', () => {
    const img = Float32Array.from([0, 255, 127.5, 255]);
    normalizeInPlace(img, 2, [0.5, 0], [0.5, 0.25]);
    expect([...img].map((v) => Number(v.toFixed(5)))).toEqual([-1, 4, 0, 4]);
  });
});

describe('augmentBatch', () => {
  const params: AugmentParams = augmentParams(
    {
      scale: [0.08, 1],
      ratio: [3 / 4, 4 / 3],
      hflip: 0.5,
      vflip: 0.1,
      colorJitter: 0.4,
      grayscale: 0.1,
      gaussianBlur: 0.05,
      randomErasing: 0.25,
    },
    { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  );
  const shape = { height: H, width: W, channels: 3 };
  const images = new Uint8Array(8 * H * W * 3).map((_, i) => (i * 37) % 256);
  const length = H * W * 3;

  it('gives image i of epoch e the same augmentation whatever batch it is in', () => {
    const alone = new Float32Array(length);
    augmentBatch(augmentKernels, images, shape, params, 42, 3, [5], alone);
    const batch = new Float32Array(3 * length);
    augmentBatch(augmentKernels, images, shape, params, 42, 3, [2, 5, 7], batch);
    expect(batch.subarray(length, 2 * length)).toEqual(alone);
    const nextEpoch = new Float32Array(length);
    augmentBatch(augmentKernels, images, shape, params, 42, 4, [5], nextEpoch);
    expect(nextEpoch).not.toEqual(alone);
  });

  it('without augmentations only normalizes', () => {
    const none = augmentParams(
      {
        scale: false,
        ratio: [3 / 4, 4 / 3],
        hflip: 0,
        vflip: 0,
        colorJitter: 0,
        grayscale: 0,
        gaussianBlur: 0,
        randomErasing: 0,
      },
      { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    );
    const out = new Float32Array(length);
    augmentBatch(augmentKernels, images, shape, none, 1, 1, [1], out);
    expect(out[0]).toBeCloseTo(((images[length] as number) / 255 - 0.5) / 0.5, 6);
  });

  it('rejects probabilities outside [0, 1]', () => {
    expect(() =>
      augmentParams(
        {
          scale: false,
          ratio: [1, 1],
          hflip: 2,
          vflip: 0,
          colorJitter: 0,
          grayscale: 0,
          gaussianBlur: 0,
          randomErasing: 0,
        },
        { mean: [0.5], std: [0.5] },
      ),
    ).toThrow(/hflip/);
  });
});
