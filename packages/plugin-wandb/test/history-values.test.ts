import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { manifestDigest, md5Base64 } from '../src/registry/artifact-manifest.js';
import {
  histogramValue,
  imageValue,
  pngSize,
  tablePicture,
  tableValue,
} from '../src/tracker/history-values.js';
import { PNG_1X1 } from './helpers.js';

describe('W&B value shapes', () => {
  it('bins a histogram into counts and count+1 edges spanning min..max', () => {
    const value = histogramValue([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, Number.NaN], 5) as {
      values: number[];
      bins: number[];
    };
    expect(value).toMatchObject({ _type: 'histogram' });
    expect(value.bins).toEqual([0, 2, 4, 6, 8, 10]);
    expect(value.values).toEqual([2, 2, 2, 2, 2]);
  });

  it('names an image file by key, step and content, with its size read from the PNG', () => {
    const image = imageValue('samples/train', PNG_1X1, 4, 'a caption');
    expect(image.file).toMatch(/^media\/images\/samples_train_4_[0-9a-f]{20}\.png$/);
    expect(image.value).toMatchObject({
      _type: 'image-file',
      path: image.file,
      width: 1,
      height: 1,
      format: 'png',
      caption: 'a caption',
    });
    expect(pngSize(new Uint8Array([1, 2, 3]))).toEqual({ width: 0, height: 0 });
  });

  it('turns lists of objects into columns and anything else into one cell', () => {
    const rows = JSON.parse(new TextDecoder().decode(tableValue('t', [{ a: 1 }, { a: 2, b: 'x' }]).bytes));
    expect(rows).toEqual({
      columns: ['a', 'b'],
      data: [
        [1, null],
        [2, 'x'],
      ],
    });
    const cell = JSON.parse(new TextDecoder().decode(tableValue('t', 42).bytes));
    expect(cell).toEqual({ columns: ['value'], data: [[42]] });
  });

  it('computes the manifest digest independently of entry order', () => {
    const a = { path: 'a.txt', digest: md5Base64(new TextEncoder().encode('a')), size: 1 };
    const b = { path: 'b.txt', digest: md5Base64(new TextEncoder().encode('b')), size: 1 };
    expect(a.digest).toBe('DMF1ucDxtqgxw5niaXcmYQ==');
    expect(manifestDigest([a, b])).toBe(manifestDigest([b, a]));
    expect(manifestDigest([a, b])).toMatch(/^[0-9a-f]{32}$/);
  });

  it('draws the confusion matrix as a heatmap (dark diagonal for a good model) and ROC curves', () => {
    const heatmap = tablePicture({
      classes: ['a', 'b'],
      matrix: [
        [9, 1],
        [0, 10],
      ],
    })!;
    expect(pngSize(heatmap)).toEqual({ width: 32, height: 32 });
    const pixel = (png: Uint8Array, width: number, x: number, y: number) => {
      const idat = Buffer.from(png).indexOf('IDAT');
      const length = Buffer.from(png).readUInt32BE(idat - 4);
      const raw = inflateSync(Buffer.from(png).subarray(idat + 4, idat + 4 + length));
      const at = y * (width * 3 + 1) + 1 + x * 3;
      return [raw[at], raw[at + 1], raw[at + 2]];
    };
    expect(pixel(heatmap, 32, 4, 4)).toEqual([25, 25, 255]); // actual a, predicted a: 90% (255 × 0.1, rounded)
    expect(pixel(heatmap, 32, 20, 4)).toEqual([230, 230, 255]); // actual a, predicted b: 10%
    expect(pixel(heatmap, 32, 4, 20)).toEqual([255, 255, 255]); // actual b, predicted a: 0%
    const roc = tablePicture([{ label: 'a', auc: 1, fpr: [0, 0, 1], tpr: [0, 1, 1] }])!;
    expect(pngSize(roc)).toEqual({ width: 256, height: 256 });
    expect(pixel(roc, 256, 0, 128)).not.toEqual([255, 255, 255]); // the curve runs up the left edge
    expect(tablePicture({ anything: 1 })).toBeUndefined();
  });
});
