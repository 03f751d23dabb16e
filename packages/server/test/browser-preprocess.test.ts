/**
 * The web page runs the one pixel preprocessing of @mlops/core (`createPixelPreprocessing`, the
 * code behind the serving runtimes' `preprocessImage` and training's decoding), inlined into the
 * page from its source text. Taken back out of the served page and run, that inlined code gives
 * the library's numbers bit for bit — on every resize recipe, filter, crop, channel conversion and
 * normalization — both for the page built from the sources and for the page of the built packages
 * (`dist/`, where tsup has bundled the function), as a user's `node_modules` has them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createPixelPreprocessing,
  type InputPreprocessing,
  type PixelPreprocessing,
  pixelPreprocessing,
} from '@mlops/core';
import { preprocessImage } from '@mlops/plugin-tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PIXEL_PREPROCESSING_MARKERS, UI_HTML } from '../src/ui/page-html.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BUILT = ['core', 'server'].map((dir) => join(REPO, 'packages', dir, 'dist', 'index.js'));

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

/** The pixel preprocessing the page's script creates, evaluated from the page's own text. */
function inlinedIn(html: string): PixelPreprocessing {
  const [open, close] = PIXEL_PREPROCESSING_MARKERS;
  const start = html.indexOf(open);
  const end = html.indexOf(close, start);
  if (start < 0 || end < 0) throw new Error('the page has no inlined pixel preprocessing');
  const code = html.slice(start + open.length, end);
  // Nothing but JavaScript globals in scope: what the page has, less the DOM.
  return new Function(`'use strict'; return ${code};`)() as PixelPreprocessing;
}

type Preprocessing = Parameters<PixelPreprocessing['preprocess']>[4];

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const HALF = { mean: [0.5], std: [0.5] };

const RECIPES: { name: string; pre: Preprocessing }[] = [
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
const SHAPES: [number, number][] = [
  [40, 30],
  [30, 45],
  [28, 28],
  [24, 24],
  [24, 31],
  [9, 13],
  [101, 67],
];

/** Every recipe, shape and source channel count (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA). */
function expectSameAsLibrary(page: PixelPreprocessing, name: string, pre: Preprocessing): void {
  let seed = 1;
  for (const [width, height] of SHAPES) {
    for (const from of [1, 2, 3, 4]) {
      const data = noise(width * height * from, seed++);
      const expected = pixelPreprocessing.preprocess(data, width, height, from, pre);
      expect(expected.length).toBe(pre.size * pre.size * pre.channels);
      expect(page.preprocess(data, width, height, from, pre), `${name}, ${width}×${height}×${from}`).toEqual(
        expected,
      );
    }
  }
}

describe('the web page’s pixel preprocessing', () => {
  const page = inlinedIn(UI_HTML);

  it('is the function core exports, not another implementation', () => {
    expect(UI_HTML).toContain(
      `${PIXEL_PREPROCESSING_MARKERS[0]}(${createPixelPreprocessing.toString()})()${PIXEL_PREPROCESSING_MARKERS[1]}`,
    );
    expect(UI_HTML).not.toMatch(/function preprocessPixels/);
  });

  for (const { name, pre } of RECIPES) {
    it(`run from the page's text gives the library's numbers bit for bit: ${name}`, () => {
      expectSameAsLibrary(page, name, pre);
    });
  }

  it('is what the serving runtimes run (`preprocessImage` of @mlops/plugin-tfjs, built)', () => {
    const pre = RECIPES[2]?.pre as InputPreprocessing;
    const data = noise(101 * 67 * 4, 7);
    const expected = new Float32Array(pre.size * pre.size * pre.channels);
    preprocessImage({ data, width: 101, height: 67, channels: 4 }, pre, expected, 0);
    expect(page.preprocess(data, 101, 67, 4, pre)).toEqual(expected);
  });

  it('takes the RGBA a canvas gives for a gray image as the gray itself', () => {
    const gray = noise(31 * 29, 99);
    const rgba = new Uint8ClampedArray(gray.length * 4);
    for (const [i, v] of gray.entries()) rgba.set([v, v, v, 255], i * 4);
    const pre: Preprocessing = { size: 28, channels: 1, ...HALF };
    expect(page.preprocess(rgba, 31, 29, 4, pre)).toEqual(
      pixelPreprocessing.preprocess(gray, 31, 29, 1, pre),
    );
  });

  it('writes into a batch at an offset, leaving the rest alone', () => {
    const pre = RECIPES[1]?.pre as Preprocessing;
    const length = pre.size * pre.size * pre.channels;
    const batch = new Float32Array(length * 2).fill(7);
    const image = noise(40 * 30 * 3, 3);
    page.preprocess(image, 40, 30, 3, pre, batch, length);
    expect(batch.subarray(0, length).every((v) => v === 7)).toBe(true);
    expect(batch.subarray(length)).toEqual(pixelPreprocessing.preprocess(image, 40, 30, 3, pre));
  });

  // In CI `npm test` builds first; in a dev loop, `npm run build -w packages/core -w packages/server`.
  describe.skipIf(!BUILT.every(existsSync))('in the built packages (dist/, bundled by tsup)', () => {
    let built: PixelPreprocessing;
    beforeAll(() => {
      // A separate Node process resolves @mlops/server and @mlops/core as an installed project
      // does (their package.json exports → dist/), not through vitest's alias to the sources.
      const builtPage = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const { UI_HTML } = await import('@mlops/server'); process.stdout.write(UI_HTML);",
        ],
        { cwd: REPO, encoding: 'utf8', maxBuffer: 16 << 20 },
      );
      built = inlinedIn(builtPage);
    });

    for (const { name, pre } of RECIPES) {
      it(`gives the library's numbers bit for bit: ${name}`, () => {
        expectSameAsLibrary(built, name, pre);
      });
    }
  });
});
