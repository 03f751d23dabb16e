import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { scanImageFolder } from '../../src/data/scan-image-folder.js';
import { isMlopsError, type MlopsError } from '../../src/errors.js';
import { makePng } from './helpers/png.js';
import { tempDir, writeTree } from './helpers/tree.js';

const png = makePng(4, 4);
const splits = { train: 'train', validation: 'validation' };

async function scanError(promise: Promise<unknown>): Promise<MlopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMlopsError(error, 'MLOPS_ERR_DATA_INVALID'))
    throw new Error(`expected a data error, got ${String(error)}`);
  return error;
}

describe('scanImageFolder', () => {
  let root: string;
  beforeEach(async () => {
    root = await tempDir();
    await writeTree(root, {
      'train/dog/b.png': png,
      'train/dog/a.JPG': png,
      'train/cat/1.png': png,
      'train/cat/notes.txt': 'not an image',
      'train/cat/.DS_Store': 'x',
      'train/cat/nested/2.webp': png,
      'validation/cat/3.jpeg': png,
      'validation/dog/4.png': png,
    });
  });

  it('finds one class per folder, sorted, with files in a deterministic order', async () => {
    const scan = await scanImageFolder(root, { splits });
    expect(scan.classes).toEqual(['cat', 'dog']);
    expect(scan.classMapSource).toBe('folders');
    expect(scan.files.map((f) => `${f.split}:${f.classIndex}:${f.relPath}`)).toEqual([
      'train:0:train/cat/1.png',
      'train:0:train/cat/nested/2.webp',
      'train:1:train/dog/a.JPG',
      'train:1:train/dog/b.png',
      'validation:0:validation/cat/3.jpeg',
      'validation:1:validation/dog/4.png',
    ]);
    expect(scan.files[0]?.path).toBe(join(root, 'train/cat/1.png'));
    expect(scan.counts).toEqual({ train: { cat: 2, dog: 2 }, validation: { cat: 1, dog: 1 } });
    expect(scan.ignored).toBe(1);
  });

  it('merges folders under labels of an inline class map and ignores unmapped folders', async () => {
    await writeTree(root, { 'train/bird/5.png': png, 'validation/bird/6.png': png });
    const scan = await scanImageFolder(root, { splits, classMap: { pets: ['dog', 'cat'] } });
    expect(scan.classes).toEqual(['pets']);
    expect(scan.counts.train).toEqual({ pets: 4 });
    expect(scan.files.every((f) => f.label === 'pets' && f.classIndex === 0)).toBe(true);
  });

  it('reads a class map from a JSON file and from a YAML file', async () => {
    await writeFile(join(root, 'map.json'), JSON.stringify({ kitty: ['cat'], puppy: ['dog'] }));
    await writeFile(join(root, 'map.yaml'), 'kitty:\n  - cat\npuppy: [dog]\n');
    const fromJson = await scanImageFolder(root, { splits, classMap: 'map.json', baseDir: root });
    const fromYaml = await scanImageFolder(root, { splits, classMap: join(root, 'map.yaml') });
    expect(fromJson.classes).toEqual(['kitty', 'puppy']);
    expect(fromYaml.counts).toEqual(fromJson.counts);
  });

  it('names the class map file when it does not exist', async () => {
    const error = await scanError(scanImageFolder(root, { splits, classMap: join(root, 'nope.json') }));
    expect(error.message).toContain(join(root, 'nope.json'));
    expect(error.hint).toContain('data.classMap');
  });

  it('reports a missing split folder with its path and the folders that exist', async () => {
    const error = await scanError(scanImageFolder(root, { splits: { ...splits, test: 'test' } }));
    expect(error.message).toContain(join(root, 'test'));
    expect(error.message).toContain('train, validation');
    expect(error.hint).toContain('data.splits.test');
  });

  it('accepts a missing optional split', async () => {
    const scan = await scanImageFolder(root, {
      splits: { ...splits, test: 'test' },
      optionalSplits: ['test'],
    });
    expect(Object.keys(scan.splits)).toEqual(['train', 'validation']);
  });

  it('reports a class-map folder missing in a split', async () => {
    await writeTree(root, { 'train/bird/5.png': png });
    const error = await scanError(
      scanImageFolder(root, { splits, classMap: { bird: ['bird'], cat: ['cat'] } }),
    );
    expect(error.message).toContain(join(root, 'validation', 'bird'));
    expect(error.file).toBe(join(root, 'validation', 'bird'));
  });

  it('reports a class without training images', async () => {
    await writeTree(root, { 'train/bird/readme.md': 'no images here' });
    const error = await scanError(scanImageFolder(root, { splits }));
    expect(error.message).toContain('class "bird" has no images in train');
    expect(error.message).toContain(join(root, 'train', 'bird'));
  });

  it('reports a class present in validation but not in train', async () => {
    await writeTree(root, { 'validation/bird/7.png': png });
    const error = await scanError(scanImageFolder(root, { splits }));
    expect(error.message).toContain('class "bird" has images in split "validation"');
  });

  it('reports an empty class folder that exists only in validation under its own path', async () => {
    await mkdir(join(root, 'validation', 'bird'));
    const error = await scanError(scanImageFolder(root, { splits }));
    expect(error.message).toBe(
      `class "bird" comes only from the empty folder ${join(root, 'validation', 'bird')} (there is no ${join(root, 'train', 'bird')} folder)`,
    );
    expect(error.file).toBe(join(root, 'validation', 'bird'));
    expect(error.hint).toContain(`Remove the empty folder ${join(root, 'validation', 'bird')}`);
  });

  it('reports a missing root', async () => {
    const error = await scanError(scanImageFolder(join(root, 'missing'), { splits }));
    expect(error.message).toContain(join(root, 'missing'));
  });

  it('keeps the first N sorted paths per class and split with limitPerClass', async () => {
    await writeTree(root, { 'train/cat/0.png': png, 'train/cat/9.png': png });
    const scan = await scanImageFolder(root, { splits, limitPerClass: 2 });
    expect(scan.files.filter((f) => f.split === 'train' && f.label === 'cat').map((f) => f.relPath)).toEqual([
      'train/cat/0.png',
      'train/cat/1.png',
    ]);
    expect(scan.counts.train).toEqual({ cat: 2, dog: 2 });
    await expect(scanImageFolder(root, { splits, limitPerClass: 0 })).rejects.toThrow(/positive integer/);
  });

  it('keeps only the listed classes, in the listed order', async () => {
    const scan = await scanImageFolder(root, { splits, classes: ['dog', 'cat'] });
    expect(scan.classes).toEqual(['dog', 'cat']);
    expect(scan.files[0]?.label).toBe('dog');
    const error = await scanError(scanImageFolder(root, { splits, classes: ['cow'] }));
    expect(error.message).toContain('"cow"');
  });

  it('takes labels and their order from classes.json when the tree has one', async () => {
    await writeFile(
      join(root, 'classes.json'),
      JSON.stringify({
        format: 'mlops-classes/1',
        classes: ['Dog/Wolf', 'cat'],
        classMap: { 'Dog/Wolf': ['dog'], cat: ['cat'] },
      }),
    );
    const scan = await scanImageFolder(root, { splits });
    expect(scan.classMapSource).toBe('classes.json');
    expect(scan.classes).toEqual(['Dog/Wolf', 'cat']);
    expect(scan.counts.train).toEqual({ 'Dog/Wolf': 2, cat: 2 });
  });
});
