import { describe, expect, it } from 'vitest';
import { augmentBatch } from '../../src/data/augment/augment-batch.js';
import { augmentParams } from '../../src/data/augment/augment-params.js';
import { augmentKernels } from '../../src/data/augment/kernels.js';
import { randAugment } from '../../src/data/augment/rand-augment.js';
import {
  parseRandAugment,
  RAND_INCREASING_TRANSFORMS,
  RAND_TRANSFORMS,
  type RandAugmentOpName,
  type RandAugmentSpec,
} from '../../src/data/augment/rand-augment-spec.js';
import { createRng } from '../../src/data/rng.js';
import { AugmentWorkerPool } from '../../src/data/worker/augment-pool.js';
import { pattern } from './helpers/images.js';

const H = 16;
const W = 12;
const image = (channels: number): Uint8Array =>
  pattern(H, W, channels, (y, x, c) => (20 + y * 13 + x * 7 + c * 40 + ((x * y) % 5) * 9) % 256);

/** Runs one op (prob 1, one layer) at a fixed magnitude on a copy of `img`. */
const runOp = (
  op: RandAugmentOpName,
  magnitude: number,
  img: Uint8Array,
  channels: number,
  seed = 1,
  extra: Partial<RandAugmentSpec> = {},
): { out: Uint8Array; applied: string[] } => {
  const spec: RandAugmentSpec = {
    ...parseRandAugment(`rand-m${magnitude}-n1-p1`),
    ops: [op],
    ...extra,
  };
  const out = img.slice();
  const applied = randAugment(
    augmentKernels,
    out,
    H,
    W,
    channels,
    createRng(seed),
    spec,
    [128, 128, 128],
    new Uint8Array(out.length),
  );
  return { out, applied };
};

describe('randAugment magnitude → argument (timm LEVEL_TO_ARG)', () => {
  const MAGNITUDE_SCALED: RandAugmentOpName[] = [
    'Rotate',
    'SolarizeIncreasing',
    'SolarizeAdd',
    'ColorIncreasing',
    'ContrastIncreasing',
    'BrightnessIncreasing',
    'SharpnessIncreasing',
    'ShearX',
    'ShearY',
    'TranslateXRel',
    'TranslateYRel',
  ];

  it.each(MAGNITUDE_SCALED)('%s at magnitude 0 is the identity (1 and 3 channels)', (op) => {
    for (const channels of [1, 3]) {
      const img = image(channels);
      for (let seed = 0; seed < 4; seed++) {
        const { out, applied } = runOp(op, 0, img, channels, seed);
        expect(applied).toEqual([op]);
        expect(out).toEqual(img);
      }
    }
  });

  it.each(MAGNITUDE_SCALED)('%s at magnitude 10 changes the image', (op) => {
    const img = image(3);
    expect(runOp(op, 10, img, 3).out).not.toEqual(img);
  });

  it('posterize / solarize follow the decreasing and increasing level mappings', () => {
    const img = image(1);
    const masked = (bits: number) => Uint8Array.from(img, (v) => v & ((0xff << (8 - bits)) & 0xff));
    expect(runOp('PosterizeIncreasing', 0, img, 1).out).toEqual(masked(4));
    expect(runOp('PosterizeIncreasing', 5, img, 1).out).toEqual(masked(2));
    expect(runOp('PosterizeIncreasing', 10, img, 1).out).toEqual(new Uint8Array(img.length));
    expect(runOp('Posterize', 10, img, 1).out).toEqual(masked(4));
    expect(runOp('SolarizeIncreasing', 10, img, 1).out).toEqual(Uint8Array.from(img, (v) => 255 - v));
    expect(runOp('Solarize', 10, img, 1).out).toEqual(img);
    // int(5 / 10 · 256) = 128: values ≥ 128 inverted.
    expect(runOp('Solarize', 5, img, 1).out).toEqual(Uint8Array.from(img, (v) => (v >= 128 ? 255 - v : v)));
    expect(runOp('SolarizeAdd', 10, img, 1).out).toEqual(
      Uint8Array.from(img, (v) => (v < 128 ? v + 110 : v)),
    );
  });

  it('TranslateXRel at magnitude 10 shifts by ±0.45 of the width (random sign), filling the rest', () => {
    // A bright column at x = 6 of a 12-wide image; 0.45 · 12 = 5.4 px. Positive: output x samples
    // input x + 5.4, so the column lands between x = 0 and 1; negative: between 11 and 12. (149 not 150:
    // 5.4 px is 5.3999… in doubles, and Pillow truncates the same way.)
    const img = pattern(H, W, 1, (_y, x) => (x === 6 ? 250 : 0));
    const left = [100, 149, 0, 0, 0, 0, 0, 128, 128, 128, 128, 128];
    const right = [128, 128, 128, 128, 128, 0, 0, 0, 0, 0, 0, 149];
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const { out } = runOp('TranslateXRel', 10, img, 1, seed, { interpolation: 'bilinear' });
      const row = [...out.subarray(0, W)];
      expect([JSON.stringify(left), JSON.stringify(right)]).toContain(JSON.stringify(row));
      seen.add(row[0] === 100 ? 'left' : 'right');
      // Every row moves the same way.
      expect([...out.subarray((H - 1) * W)]).toEqual(row);
    }
    expect(seen).toEqual(new Set(['left', 'right']));
  });

  it('picks bilinear or bicubic per geometric op by default, like timm train_interpolation=random', () => {
    const img = image(3);
    const kinds = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const random = runOp('Rotate', 10, img, 3, seed).out;
      const bilinear = runOp('Rotate', 10, img, 3, seed, { interpolation: 'bilinear' }).out;
      const bicubic = runOp('Rotate', 10, img, 3, seed, { interpolation: 'bicubic' }).out;
      expect(bilinear).not.toEqual(bicubic);
      if (Buffer.from(random).equals(Buffer.from(bilinear))) kinds.add('bilinear');
      else if (Buffer.from(random).equals(Buffer.from(bicubic))) kinds.add('bicubic');
      else throw new Error(`seed ${seed}: neither bilinear nor bicubic`);
    }
    expect(kinds).toEqual(new Set(['bilinear', 'bicubic']));
  });

  it('samples magnitudes with gaussian noise, clipped to [0, mmax]', () => {
    // SolarizeAdd on a black image reveals int(m / 10 · 110) for the sampled magnitude m.
    const black = new Uint8Array(H * W);
    const sample = (source: string, seed: number): number => {
      const spec = { ...parseRandAugment(source), ops: ['SolarizeAdd' as const] };
      const out = black.slice();
      randAugment(augmentKernels, out, H, W, 1, createRng(seed), spec, [0], new Uint8Array(out.length));
      return out[0] as number;
    };
    const high = Array.from({ length: 400 }, (_, s) => sample('rand-m9-n1-p1-mstd3', s));
    expect(Math.max(...high)).toBe(110);
    expect(high.filter((v) => v === 110).length).toBeGreaterThan(50);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const noisy = Array.from({ length: 400 }, (_, s) => sample('rand-m5-n1-p1-mstd1.0', s));
    expect(mean(noisy)).toBeGreaterThan(50);
    expect(mean(noisy)).toBeLessThan(60);
    expect(new Set(noisy).size).toBeGreaterThan(5);
    const low = Array.from({ length: 400 }, (_, s) => sample('rand-m1-n1-p1-mstd3', s));
    expect(low.filter((v) => v === 0).length).toBeGreaterThan(50);
    const fixed = Array.from({ length: 50 }, (_, s) => sample('rand-m5-n1-p1', s));
    expect(new Set(fixed)).toEqual(new Set([55]));
    const uniform = Array.from({ length: 400 }, (_, s) => sample('rand-m10-n1-p1-mstd101', s));
    expect(mean(uniform)).toBeGreaterThan(45);
    expect(mean(uniform)).toBeLessThan(65);
    // mmax lifts the clip: m20 with mmax20 gives int(2 · 110) = 220.
    expect(sample('rand-m20-mmax20-n1-p1', 0)).toBe(220);
  });
});

describe('randAugment op choice', () => {
  it('applies each chosen op with probability p, n ops per image, covering the whole op set', () => {
    const spec = parseRandAugment('rand-m8-inc1-mstd1.0');
    const counts = new Map<string, number>();
    let applied = 0;
    const trials = 3000;
    const img = image(3);
    for (let seed = 0; seed < trials; seed++) {
      const ops = randAugment(
        augmentKernels,
        img.slice(),
        H,
        W,
        3,
        createRng(seed),
        spec,
        [128, 128, 128],
        new Uint8Array(img.length),
      );
      applied += ops.length;
      for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
    }
    // 2 layers × p 0.5 → 1 op per image on average.
    expect(applied / trials).toBeGreaterThan(0.9);
    expect(applied / trials).toBeLessThan(1.1);
    expect([...counts.keys()].sort()).toEqual([...RAND_INCREASING_TRANSFORMS].sort());
  });

  it('with w0 draws distinct ops by timm weights and never Invert or Posterize', () => {
    const spec = parseRandAugment('rand-m9-n3-p1-w0');
    const counts = new Map<string, number>();
    const img = image(1);
    for (let seed = 0; seed < 500; seed++) {
      const ops = randAugment(
        augmentKernels,
        img.slice(),
        H,
        W,
        1,
        createRng(seed),
        spec,
        [128],
        new Uint8Array(img.length),
      );
      expect(new Set(ops).size).toBe(3);
      for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
    }
    expect(counts.has('Invert')).toBe(false);
    expect(counts.has('Posterize')).toBe(false);
    expect(counts.get('Rotate')).toBeGreaterThan(counts.get('Equalize') ?? 0);
    expect(RAND_TRANSFORMS).toContain('Posterize');
  });
});

describe('RandAugment in augmentBatch', () => {
  const shape = { height: H, width: W, channels: 3 };
  const length = H * W * 3;
  const images = new Uint8Array(new SharedArrayBuffer(10 * length));
  images.set(Uint8Array.from({ length: 10 * length }, (_, i) => (i * 37 + (i >> 5)) % 256));
  const base = {
    scale: [0.08, 1] as [number, number],
    ratio: [3 / 4, 4 / 3] as [number, number],
    hflip: 0.5,
    vflip: 0,
    colorJitter: 0.4,
    grayscale: 0,
    gaussianBlur: 0,
    randomErasing: 0.25,
  };
  const stats = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const params = augmentParams({ ...base, randAugment: 'rand-m8-inc1-mstd1.0' }, stats);

  it('is deterministic per (seed, epoch, index) whatever the batch', () => {
    const alone = new Float32Array(length);
    augmentBatch(augmentKernels, images, shape, params, 7, 1, [4], alone);
    const batch = new Float32Array(3 * length);
    augmentBatch(augmentKernels, images, shape, params, 7, 1, [0, 4, 9], batch);
    expect(batch.subarray(length, 2 * length)).toEqual(alone);
    const again = new Float32Array(length);
    augmentBatch(augmentKernels, images, shape, params, 7, 1, [4], again);
    expect(again).toEqual(alone);
    const otherSeed = new Float32Array(length);
    augmentBatch(augmentKernels, images, shape, params, 8, 1, [4], otherSeed);
    expect(otherSeed).not.toEqual(alone);
  });

  it('changes the output compared with the same recipe without RandAugment', () => {
    const off = augmentParams({ ...base, colorJitter: 0 }, stats);
    const n = 10;
    const indices = Array.from({ length: n }, (_, i) => i);
    const withRa = new Float32Array(n * length);
    const without = new Float32Array(n * length);
    augmentBatch(augmentKernels, images, shape, params, 3, 0, indices, withRa);
    augmentBatch(augmentKernels, images, shape, off, 3, 0, indices, without);
    let differing = 0;
    for (let i = 0; i < n; i++) {
      const a = withRa.subarray(i * length, (i + 1) * length);
      const b = without.subarray(i * length, (i + 1) * length);
      if (a.some((v, j) => Math.abs(v - (b[j] as number)) > 1e-6)) differing++;
    }
    // Each image gets no op with probability 0.25 (and some ops can be no-ops on it).
    expect(differing).toBeGreaterThanOrEqual(4);
  });

  it('gives the same pixels from worker threads as in the main thread', async () => {
    const indices = Int32Array.from([3, 1, 4, 9, 5, 2]);
    const pool = new AugmentWorkerPool(2, { images, shape, params, seed: 42 });
    try {
      const fromWorkers = await pool.run(2, indices);
      const inline = new Float32Array(indices.length * length);
      augmentBatch(augmentKernels, images, shape, params, 42, 2, indices, inline);
      expect(fromWorkers).toEqual(inline);
    } finally {
      await pool.close();
    }
  });
});
