import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../src/data/png/png-decode.js';
import { FASHION_MNIST_LABELS, materializeFashionMnist } from '../../src/data/sources/fashion-mnist.js';
import { materializeMnist } from '../../src/data/sources/mnist.js';
import { fashionMnistSplits, mnistSplits, rankByHash } from '../../src/data/sources/split-rules.js';
import { tempDir } from './helpers/images.js';

const packageDir = (name: string): string =>
  dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));

function tally(splits: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of splits) out[s] = (out[s] ?? 0) + 1;
  return out;
}

describe('split rules', () => {
  it('fashion-mnist: first 1,000 per class → test, 10% of the rest → validation, by a stable hash', () => {
    const splits = fashionMnistSplits(7000, 3, 0.1);
    expect(tally(splits)).toEqual({ test: 1000, validation: 600, train: 5400 });
    expect(splits.slice(0, 1000).every((s) => s === 'test')).toBe(true);
    expect(fashionMnistSplits(7000, 3, 0.1)).toEqual(splits);
    // Another class gets another (but equally sized) validation sample.
    expect(fashionMnistSplits(7000, 4, 0.1)).not.toEqual(splits);
    expect(tally(fashionMnistSplits(7000, 3, 0.2))).toEqual({ test: 1000, validation: 1200, train: 4800 });
  });

  it('mnist: 10% test, then validationFraction of the rest, by a stable hash', () => {
    const splits = mnistSplits(1001, 0, 0.1);
    expect(tally(splits)).toEqual({ test: 100, validation: 90, train: 811 });
    expect(mnistSplits(1001, 0, 0.1)).toEqual(splits);
  });

  it('ranks positions by hash, stably', () => {
    const ranked = rankByHash([0, 1, 2, 3, 4, 5, 6, 7], 1);
    expect([...ranked].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rankByHash([0, 1, 2, 3, 4, 5, 6, 7], 1)).toEqual(ranked);
    expect(ranked).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('fashion-mnist materialization (3 images per class and split)', () => {
  let datasets: string;
  let root: string;
  beforeAll(async () => {
    datasets = await tempDir();
    root = await materializeFashionMnist({ datasetsDir: datasets, validationFraction: 0.1, maxPerSplit: 3 });
  });

  it('writes an ImageFolder tree with safe folder names and the display labels in classes.json', async () => {
    expect(await readdir(root)).toEqual(
      expect.arrayContaining(['classes.json', 'source.json', 'train', 'validation', 'test']),
    );
    const classes = JSON.parse(await readFile(join(root, 'classes.json'), 'utf8'));
    expect(classes.classes).toEqual(FASHION_MNIST_LABELS);
    expect(classes.classMap['T-shirt/top']).toEqual(['T-shirt_top']);
    expect(classes.classMap['Ankle boot']).toEqual(['Ankle boot']);
    expect((await readdir(join(root, 'train'))).sort()).toHaveLength(10);
    expect(await readdir(join(root, 'test', 'T-shirt_top'))).toEqual(['00000.png', '00001.png', '00002.png']);
    expect(await readdir(join(root, 'validation', 'Trouser'))).toHaveLength(3);
  });

  it('stores the package pixels exactly (file name = position in the class, empty entries dropped)', async () => {
    const raw = JSON.parse(await readFile(join(packageDir('fashion-mnist'), 'src/clothes/0.json'), 'utf8'))
      .data as number[][];
    const images = raw.filter((r) => r.length > 0);
    for (const split of ['train', 'validation', 'test']) {
      for (const name of await readdir(join(root, split, 'T-shirt_top'))) {
        const png = decodePng(await readFile(join(root, split, 'T-shirt_top', name)));
        expect(png).toMatchObject({ width: 28, height: 28, channels: 1 });
        expect([...png.data]).toEqual(images[Number.parseInt(name, 10)]);
      }
    }
  });

  it('reuses the materialized folder and keys it by the split rules', async () => {
    const before = (await stat(join(root, 'classes.json'))).mtimeMs;
    expect(
      await materializeFashionMnist({ datasetsDir: datasets, validationFraction: 0.1, maxPerSplit: 3 }),
    ).toBe(root);
    expect((await stat(join(root, 'classes.json'))).mtimeMs).toBe(before);
    const other = await materializeFashionMnist({
      datasetsDir: datasets,
      validationFraction: 0.2,
      maxPerSplit: 1,
    });
    expect(other).not.toBe(root);
    expect((await readdir(datasets)).filter((d) => d.includes('.tmp-'))).toEqual([]);
  });
});

describe('mnist materialization', () => {
  it('writes digits 0-9 with pixels = round(value × 255)', async () => {
    const root = await materializeMnist({
      datasetsDir: await tempDir(),
      validationFraction: 0.1,
      maxPerSplit: 2,
    });
    const classes = JSON.parse(await readFile(join(root, 'classes.json'), 'utf8'));
    expect(classes.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const flat = JSON.parse(await readFile(join(packageDir('mnist'), 'src/digits/7.json'), 'utf8'))
      .data as number[];
    for (const name of await readdir(join(root, 'train', '7'))) {
      const position = Number.parseInt(name, 10);
      const expected = flat.slice(position * 784, (position + 1) * 784).map((v) => Math.round(v * 255));
      expect([...decodePng(await readFile(join(root, 'train', '7', name))).data]).toEqual(expected);
    }
  });
});
