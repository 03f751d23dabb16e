import type { BatchShape } from '../data/batch-source.js';
import { RgbaCanvas } from './rgba-canvas.js';

/** Images of a batch to tile: normalized NHWC floats as the model sees them, with their labels. */
export interface SampleImages {
  /** `n * height * width * channels` floats (normalized; rescaled for display). */
  x: Float32Array;
  /** Class index per image. */
  y: Int32Array;
  /** Number of images in `x`. */
  n: number;
  /** Shape of one image. */
  shape: BatchShape;
}

/** Options of {@link renderSampleGrid}. */
export interface SampleGridOptions {
  /** Tiles per row and column; default 8 (so at most 64 images). */
  columns?: number;
  /** Class names for the caption; indices are used where missing. */
  classes?: readonly string[];
}

/** A rendered grid: PNG bytes and a caption naming each tile's label, row by row. */
export interface SampleGrid {
  /** PNG bytes. */
  png: Uint8Array;
  /** `row 1: label, label, …; row 2: …`. */
  caption: string;
  /** Images shown. */
  count: number;
}

const GUTTER = 2;
/** Tiles smaller than this are enlarged (nearest neighbour) by a whole factor to stay legible. */
const MIN_TILE = 56;

/**
 * Tiles up to `columns²` images into one picture. Pixels are rescaled by the min and max of the
 * images shown (one range for all, so brightness stays comparable between tiles) — the
 * normalization's mean/std need not be known, and augmentations that push values out of the
 * usual range still show.
 */
export function renderSampleGrid(images: SampleImages, options: SampleGridOptions = {}): SampleGrid {
  const columns = options.columns ?? 8;
  const { height, width, channels } = images.shape;
  const count = Math.min(images.n, columns * columns);
  if (count === 0) throw new RangeError('renderSampleGrid: no images');
  const pixelsPerImage = height * width * channels;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count * pixelsPerImage; i++) {
    const v = images.x[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const zoom = Math.max(1, Math.floor(MIN_TILE / Math.max(height, width)));
  const cols = Math.min(columns, count);
  const rows = Math.ceil(count / columns);
  const tileW = width * zoom;
  const tileH = height * zoom;
  const canvas = new RgbaCanvas(cols * (tileW + GUTTER) + GUTTER, rows * (tileH + GUTTER) + GUTTER);
  const captionRows: string[] = [];
  for (let i = 0; i < count; i++) {
    const left = GUTTER + (i % columns) * (tileW + GUTTER);
    const top = GUTTER + Math.floor(i / columns) * (tileH + GUTTER);
    for (let yy = 0; yy < height; yy++) {
      for (let xx = 0; xx < width; xx++) {
        const base = i * pixelsPerImage + (yy * width + xx) * channels;
        const value = (c: number): number =>
          Math.round(((images.x[base + Math.min(c, channels - 1)] as number) - lo) * scale);
        canvas.fillRect(left + xx * zoom, top + yy * zoom, zoom, zoom, [value(0), value(1), value(2), 255]);
      }
    }
    const label = images.y[i] as number;
    const name = options.classes?.[label] ?? String(label);
    const row = Math.floor(i / columns);
    captionRows[row] = captionRows[row] === undefined ? name : `${captionRows[row]}, ${name}`;
  }
  return {
    png: canvas.toPng(),
    caption: captionRows.map((labels, r) => `row ${r + 1}: ${labels}`).join('; '),
    count,
  };
}
