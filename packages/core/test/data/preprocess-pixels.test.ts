/**
 * Core's one pixel preprocessing: what each step does on small hand-checked images, and that the
 * factory runs from its source text alone (the web page inlines it). Its bit-exact agreement with
 * timm and PIL is checked in `packages/plugin-tfjs/test/pretrained/timm-eval-transform.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { createPixelPreprocessing, type PixelPreprocessing, pixelPreprocessing } from '../../src/index.js';

describe('pixel preprocessing', () => {
  it('runs from its source text alone, with only JavaScript globals in scope', () => {
    const inlined = new Function(
      `'use strict'; return (${createPixelPreprocessing.toString()})();`,
    )() as PixelPreprocessing;
    const src = Uint8Array.from({ length: 13 * 9 * 3 }, (_, i) => (i * 37) % 256);
    for (const pre of [
      { size: 8, channels: 3 as const, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] },
      {
        size: 6,
        channels: 1 as const,
        mean: [0.5],
        std: [0.5],
        resize: 'timm' as const,
        cropPct: 0.875,
        interpolation: 'bicubic' as const,
      },
    ]) {
      expect(inlined.preprocess(src, 13, 9, 3, pre)).toEqual(
        pixelPreprocessing.preprocess(src, 13, 9, 3, pre),
      );
    }
  });

  it('converts channels as PIL does: luma for gray, alpha dropped, gray repeated', () => {
    const { convertChannels } = pixelPreprocessing;
    expect([...convertChannels(Uint8Array.from([255, 0, 0, 9, 0, 255, 0, 9]), 2, 4, 1)]).toEqual([76, 150]);
    expect([...convertChannels(Uint8Array.from([10, 20, 30, 40]), 1, 4, 3)]).toEqual([10, 20, 30]);
    expect([...convertChannels(Uint8Array.from([7, 200]), 1, 2, 3)]).toEqual([7, 7, 7]);
    const same = Uint8Array.from([1, 2, 3]);
    expect(convertChannels(same, 1, 3, 3)).toBe(same);
  });

  it('cover: keeps an image of the input size, cuts the central square of a larger one', () => {
    const { resizeCover } = pixelPreprocessing;
    const square = Uint8Array.from({ length: 4 * 4 }, (_, i) => i);
    expect(resizeCover(square, 4, 4, 1, 4)).toBe(square);
    // 6×4 → the central 4×4 columns 1..4.
    const wide = Uint8Array.from({ length: 6 * 4 }, (_, i) => i);
    expect([...resizeCover(wide, 6, 4, 1, 4)]).toEqual([
      1, 2, 3, 4, 7, 8, 9, 10, 13, 14, 15, 16, 19, 20, 21, 22,
    ]);
    // A flat image stays flat whatever the filter does.
    expect([...resizeCover(new Uint8Array(10 * 10).fill(90), 10, 10, 1, 3)]).toEqual(Array(9).fill(90));
  });

  it('reads a stored description’s recipe with timm’s defaults', () => {
    const { resizeRecipeOfPreprocessing } = pixelPreprocessing;
    expect(resizeRecipeOfPreprocessing({})).toEqual({ mode: 'cover' });
    expect(resizeRecipeOfPreprocessing({ resize: 'timm' })).toEqual({
      mode: 'timm',
      cropPct: 1,
      interpolation: 'bilinear',
    });
  });

  it('normalizes (v / 255 − mean) / std per channel into a batch at an offset', () => {
    const pre = { size: 1, channels: 3 as const, mean: [0, 0.5, 1], std: [1, 0.5, 0.25] };
    const batch = new Float32Array(6).fill(-9);
    pixelPreprocessing.preprocess(Uint8Array.from([255, 255, 0]), 1, 1, 3, pre, batch, 3);
    expect([...batch.subarray(0, 3)]).toEqual([-9, -9, -9]);
    expect([...batch.subarray(3)].map((v) => Number(v.toFixed(6)))).toEqual([1, 1, -4]);
  });
});
