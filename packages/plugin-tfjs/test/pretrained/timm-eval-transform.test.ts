import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodeNative } from '../../src/data/decode.js';
import { resizeShorterCenterCrop } from '../../src/data/resize.js';
import { preprocessImage } from '../../src/runtime/tfjs-runtime.js';
import { readFixtureJson, readFloats, TIMM_FIXTURES } from './timm-fixtures.js';

interface TransformCase {
  image: string;
  imageSize: { width: number; height: number };
  rgb: { file: string };
  resized: { file: string; shape: [number, number, number] };
  cropOffset: { top: number; left: number };
  expected: { file: string };
}

const transform = readFixtureJson<{
  inputSize: number;
  mean: number[];
  std: number[];
  cases: TransformCase[];
}>('preprocess', 'transform.json');
const SIZE = transform.inputSize;
const CROP_PCT = 0.875;

/** The centre crop of PIL's resized image (uint8 HWC), as timm's CenterCrop cuts it. */
function pilCrop(c: TransformCase): Uint8Array {
  const resized = readFileSync(join(TIMM_FIXTURES, 'preprocess', c.resized.file));
  const [, width] = c.resized.shape;
  const out = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    const from = ((c.cropOffset.top + y) * width + c.cropOffset.left) * 3;
    out.set(resized.subarray(from, from + SIZE * 3), y * SIZE * 3);
  }
  return out;
}

describe.each(transform.cases)('timm’s eval transform on $image', (c) => {
  it('resizes and crops like PIL bicubic + torchvision CenterCrop (8-bit, within one level)', () => {
    const rgb = new Uint8Array(readFileSync(join(TIMM_FIXTURES, 'preprocess', c.rgb.file)));
    const ours = resizeShorterCenterCrop(
      rgb,
      c.imageSize.width,
      c.imageSize.height,
      3,
      SIZE,
      CROP_PCT,
      'bicubic',
    );
    const theirs = pilCrop(c);
    let maxDiff = 0;
    let exact = 0;
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs((ours[i] as number) - (theirs[i] as number));
      maxDiff = Math.max(maxDiff, d);
      if (d === 0) exact++;
    }
    expect(maxDiff).toBeLessThanOrEqual(1);
    expect(exact / ours.length).toBeGreaterThan(0.99);
  });

  it('gives the model the tensor timm does, from the PNG file (serving path, any image size)', async () => {
    const png = readFileSync(join(TIMM_FIXTURES, 'preprocess', c.image));
    const native = await decodeNative(png);
    const x = new Float32Array(SIZE * SIZE * 3);
    preprocessImage(
      native,
      {
        size: SIZE,
        channels: 3,
        mean: transform.mean,
        std: transform.std,
        resize: 'timm',
        cropPct: CROP_PCT,
        interpolation: 'bicubic',
      },
      x,
      0,
    );
    const expected = readFloats('preprocess', c.expected.file); // CHW
    let maxDiff = 0;
    for (let ch = 0; ch < 3; ch++)
      for (let i = 0; i < SIZE * SIZE; i++)
        maxDiff = Math.max(
          maxDiff,
          Math.abs((x[i * 3 + ch] as number) - (expected[ch * SIZE * SIZE + i] as number)),
        );
    // one 8-bit level at the smallest std (0.224): 1 / 255 / 0.224
    expect(maxDiff).toBeLessThanOrEqual(1 / 255 / 0.224 + 1e-6);
  });

  it('is what the training pipeline decodes for the same recipe', async () => {
    const png = readFileSync(join(TIMM_FIXTURES, 'preprocess', c.image));
    const decoded = await decodeImage(png, {
      size: SIZE,
      channels: 3,
      resize: { mode: 'timm', cropPct: CROP_PCT, interpolation: 'bicubic' },
    });
    const rgb = new Uint8Array(readFileSync(join(TIMM_FIXTURES, 'preprocess', c.rgb.file)));
    expect(decoded).toEqual(
      resizeShorterCenterCrop(rgb, c.imageSize.width, c.imageSize.height, 3, SIZE, CROP_PCT, 'bicubic'),
    );
  });
});
