/**
 * The web page's preprocessing (`preprocessPixels`, run in the browser from its source text) is
 * the serving runtimes' (`preprocessImage` of @mlops/plugin-tfjs, used by the tfjs and ONNX
 * runtimes) bit for bit: every resize recipe, filter, crop, channel conversion and normalization.
 */
import { preprocessImage } from '@mlops/plugin-tfjs';
import { describe, expect, it } from 'vitest';
import { type BrowserPreprocessing, preprocessPixels } from '../src/ui/browser-preprocess.js';

/** Deterministic pseudo-random bytes (mulberry32). */
function noise(length: number, seed: number): Uint8Array {
  let a = seed >>> 0;
  return Uint8Array.from({ length }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % 256;
  });
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const HALF = { mean: [0.5], std: [0.5] };

const RECIPES: { name: string; pre: BrowserPreprocessing }[] = [
  { name: 'cover, gray', pre: { size: 28, channels: 1, ...HALF, resize: 'cover' } },
  { name: 'cover (default), RGB', pre: { size: 24, channels: 3, ...IMAGENET } },
  {
    name: 'timm bicubic 0.875, RGB',
    pre: { size: 24, channels: 3, ...IMAGENET, resize: 'timm', cropPct: 0.875, interpolation: 'bicubic' },
  },
  {
    name: 'timm bilinear 0.95, gray',
    pre: { size: 20, channels: 1, ...HALF, resize: 'timm', cropPct: 0.95, interpolation: 'bilinear' },
  },
  {
    name: 'timm bicubic 1.0, RGB',
    pre: {
      size: 16,
      channels: 3,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      resize: 'timm',
      cropPct: 1,
      interpolation: 'bicubic',
    },
  },
];

/** Shrinking, enlarging, already square, the input size itself, a square crop of it. */
const SHAPES = [
  [40, 30],
  [30, 45],
  [28, 28],
  [24, 24],
  [24, 31],
  [9, 13],
  [101, 67],
];

describe('browser preprocessing', () => {
  // The page inlines the function's source: evaluated from its text it must still run (nothing
  // from outside its body), and give the same numbers.
  const inlined = new Function(`return (${preprocessPixels.toString()});`)() as typeof preprocessPixels;

  for (const { name, pre } of RECIPES) {
    it(`equals the runtimes' preprocessing bit for bit: ${name}`, () => {
      let seed = 1;
      for (const [width, height] of SHAPES as [number, number][]) {
        for (const from of [1, 2, 3, 4]) {
          const data = noise(width * height * from, seed++);
          const expected = new Float32Array(pre.size * pre.size * pre.channels);
          // The server's decoder gives 1, 3 or 4 channels (gray + alpha becomes gray before this).
          const image =
            from === 2
              ? { data: data.filter((_, i) => i % 2 === 0), width, height, channels: 1 }
              : { data, width, height, channels: from };
          preprocessImage(image, pre, expected, 0);
          expect(preprocessPixels(data, width, height, from, pre), `${width}×${height}×${from}`).toEqual(
            expected,
          );
          expect(inlined(data, width, height, from, pre)).toEqual(expected);
        }
      }
    });
  }

  it('takes the RGBA a canvas gives for a gray image as the gray itself', () => {
    const gray = noise(31 * 29, 99);
    const rgba = new Uint8ClampedArray(gray.length * 4);
    for (const [i, v] of gray.entries()) rgba.set([v, v, v, 255], i * 4);
    const pre: BrowserPreprocessing = { size: 28, channels: 1, ...HALF };
    const expected = new Float32Array(28 * 28);
    preprocessImage({ data: gray, width: 31, height: 29, channels: 1 }, pre, expected, 0);
    expect(preprocessPixels(rgba, 31, 29, 4, pre)).toEqual(expected);
  });
});
