import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataOutput } from '@mlops/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDecodedSplit } from '../../src/data/dataset-cache.js';
import { decodePng } from '../../src/data/png/png-decode.js';
import { materializeFashionMnist } from '../../src/data/sources/fashion-mnist.js';
import { FakeStore } from './helpers/fake-store.js';
import { tempDir } from './helpers/images.js';

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

describe('loadDecodedSplit', () => {
  let store: FakeStore;
  let data: Pick<DataOutput, 'dataset' | 'version' | 'classes'>;
  let root: string;
  beforeAll(async () => {
    const work = await tempDir();
    root = await materializeFashionMnist({
      datasetsDir: join(work, 'datasets'),
      validationFraction: 0.1,
      maxPerSplit: 2,
    });
    store = new FakeStore(join(work, '.mlops'));
    const files = (await walk(root)).filter((f) => f !== 'source.json');
    const dataset = await store.putTree(files.map((path) => ({ path, file: join(root, path) })));
    const { classes } = JSON.parse(await readFile(join(root, 'classes.json'), 'utf8')) as {
      classes: string[];
    };
    data = { dataset, version: dataset.hash, classes };
  });

  it('decodes a split into one shared buffer with labels, then reads it from the cache', async () => {
    const split = await loadDecodedSplit({ store, data, split: 'train', size: 28, channels: 1 });
    expect(split).toMatchObject({ split: 'train', count: 20, height: 28, width: 28, channels: 1 });
    expect(split.images.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([...split.labels]).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    const [firstName] = await readdir(join(root, 'train', 'T-shirt_top'));
    const first = decodePng(await readFile(join(root, 'train', 'T-shirt_top', firstName ?? '')));
    expect(split.images.subarray(0, 784)).toEqual(first.data);

    const calls = store.localPathCalls;
    const again = await loadDecodedSplit({ store, data, split: 'train', size: 28, channels: 1 });
    expect(store.localPathCalls).toBe(calls);
    expect(again.images).toEqual(split.images);
    expect(again.labels).toEqual(split.labels);
    expect(again.images.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(await readdir(join(store.location, 'cache', 'decoded'))).toContain(
      `${data.version}-train-28x28x1-d1.bin`,
    );
  });

  it('keys the cache by size and channels', async () => {
    const rgb = await loadDecodedSplit({ store, data, split: 'validation', size: 32, channels: 3 });
    expect(rgb).toMatchObject({ count: 20, height: 32, width: 32, channels: 3 });
    expect(rgb.images).toHaveLength(20 * 32 * 32 * 3);
    expect(rgb.images[0]).toBe(rgb.images[1]);
  });

  it('names the split when it does not exist', async () => {
    await expect(loadDecodedSplit({ store, data, split: 'holdout', size: 28, channels: 1 })).rejects.toThrow(
      /no usable split "holdout"/,
    );
  });
});
