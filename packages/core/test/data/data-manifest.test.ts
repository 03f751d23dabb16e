import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { dataAdd, dataCheckout, dataStatus, defaultManifestPath } from '../../src/data/data-commands.js';
import {
  createDataManifest,
  diffDataManifest,
  readDataManifest,
  writeDataManifest,
} from '../../src/data/data-manifest.js';
import { scanImageFolder } from '../../src/data/scan-image-folder.js';
import { isMlopsError } from '../../src/errors.js';
import { FakeStore } from './helpers/fake-store.js';
import { makePng } from './helpers/png.js';
import { tempDir, writeTree } from './helpers/tree.js';

const splits = { train: 'train', validation: 'validation' };

describe('data manifests', () => {
  let work: string;
  let dir: string;
  let store: FakeStore;
  beforeEach(async () => {
    work = await tempDir();
    dir = join(work, 'pets');
    store = new FakeStore(join(work, '.mlops'));
    await writeTree(dir, {
      'train/cat/1.png': makePng(4, 4, 1, () => 1),
      'train/dog/2.png': makePng(4, 4, 1, () => 2),
      'validation/cat/3.png': makePng(4, 4, 1, () => 3),
      'validation/dog/4.png': makePng(4, 4, 1, () => 4),
    });
  });

  it('creates a manifest whose tree is stored, and round-trips it through a file', async () => {
    const scan = await scanImageFolder(dir, { splits });
    const manifest = await createDataManifest(dir, scan, store, { cacheDir: join(work, 'cache') });
    expect(manifest.format).toBe('mlops-data/1');
    expect(manifest.classes).toEqual(['cat', 'dog']);
    expect(manifest.splits).toEqual({ train: 2, validation: 2 });
    expect(manifest.files.map((f) => f.path)).toEqual([
      'train/cat/1.png',
      'train/dog/2.png',
      'validation/cat/3.png',
      'validation/dog/4.png',
    ]);
    const tree = await store.getTree(manifest.tree);
    expect(tree.entries.map((e) => [e.path, e.hash])).toEqual(manifest.files.map((f) => [f.path, f.hash]));
    const path = join(work, 'm.json');
    await writeDataManifest(path, manifest);
    expect(await readDataManifest(path)).toEqual(manifest);
    // One file per line keeps git diffs readable.
    expect((await readFile(path, 'utf8')).split('\n').filter((l) => l.includes('"hash"'))).toHaveLength(4);
    const cache = JSON.parse(await readFile(join(work, 'cache', 'file-hashes.json'), 'utf8'));
    expect(Object.keys(cache.files)).toHaveLength(4);
  });

  it('is deterministic: the same files give the same version', async () => {
    const a = await dataAdd(dir, { store });
    const b = await dataAdd(dir, { store, output: join(work, 'other.json') });
    expect(b.version).toBe(a.version);
    expect(b.manifest.files).toEqual(a.manifest.files);
    // The unchanged tree is not stored twice (tree memo in <store>/cache/trees.json).
    expect(store.putTreeCalls).toBe(1);
  });

  it('diffs a manifest against the folder after adding, removing and changing files', async () => {
    const scan = await scanImageFolder(dir, { splits });
    const manifest = await createDataManifest(dir, scan, store);
    await writeTree(dir, { 'train/cat/5.png': makePng(4, 4, 1, () => 5), 'train/dog/2.png': makePng(5, 5) });
    await rm(join(dir, 'validation/cat/3.png'));
    const diff = await diffDataManifest(manifest, await scanImageFolder(dir, { splits }));
    expect(diff).toEqual({
      added: ['train/cat/5.png'],
      removed: ['validation/cat/3.png'],
      modified: ['train/dog/2.png'],
    });
  });

  it('detects a same-size change even when the stat cache knows the file', async () => {
    const cacheDir = join(work, 'cache');
    const { manifestPath } = await dataAdd(dir, { store, cacheDir });
    const file = join(dir, 'train/cat/1.png');
    const before = await stat(file);
    await writeFile(
      file,
      makePng(4, 4, 1, () => 9),
    );
    await utimes(file, before.atime, new Date(before.mtimeMs + 5000));
    const status = await dataStatus(dir, manifestPath, { cacheDir });
    expect(status.modified).toEqual(['train/cat/1.png']);
    expect(status.clean).toBe(false);
  });

  it('dataAdd writes <dir>.mlops-data.json beside the folder; dataStatus reports clean, then changes', async () => {
    const added = await dataAdd(dir, { store });
    expect(added.manifestPath).toBe(defaultManifestPath(dir));
    expect(added.manifestPath).toBe(`${dir}.mlops-data.json`);
    expect(added.version).toBe(added.manifest.tree);
    expect(await dataStatus(dir)).toMatchObject({
      clean: true,
      added: [],
      removed: [],
      modified: [],
      version: added.version,
    });
    await writeTree(dir, { 'validation/dog/8.png': makePng(3, 3) });
    expect(await dataStatus(dir)).toMatchObject({ clean: false, added: ['validation/dog/8.png'] });
  });

  it('records an explicit class map and uses it for status', async () => {
    const added = await dataAdd(dir, { store, classMap: { pets: ['cat', 'dog'] } });
    expect(added.manifest.classMap).toEqual({ pets: ['cat', 'dog'] });
    expect(added.manifest.classes).toEqual(['pets']);
    expect((await dataStatus(dir)).clean).toBe(true);
  });

  it('checks a version out of the store into the folder, replacing what is there', async () => {
    const first = await dataAdd(dir, { store });
    await writeTree(dir, { 'train/cat/6.png': makePng(6, 6) });
    const second = await dataAdd(dir, { store, output: join(work, 'v2.mlops-data.json') });
    expect(second.version).not.toBe(first.version);

    const result = await dataCheckout(first.manifestPath, store);
    expect(result).toEqual({ dest: dir, version: first.version, files: 4 });
    expect((await dataStatus(dir)).clean).toBe(true);
    await expect(stat(join(dir, 'train/cat/6.png'))).rejects.toThrow();

    const elsewhere = join(work, 'restored');
    await dataCheckout(join(work, 'v2.mlops-data.json'), store, elsewhere);
    expect(await readFile(join(elsewhere, 'train/cat/6.png'))).toEqual(makePng(6, 6));
  });

  it('refuses to discard files that are not in the store unless forced', async () => {
    const { manifestPath } = await dataAdd(dir, { store });
    await writeTree(dir, { 'train/cat/unsaved.png': makePng(7, 7) });
    const error = await dataCheckout(manifestPath, store).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_DATA_INVALID')).toBe(true);
    expect((error as Error).message).toContain('train/cat/unsaved.png');
    await dataCheckout(manifestPath, store, undefined, { force: true });
    expect((await dataStatus(dir)).clean).toBe(true);
  });

  it('suggests `mlops data pull` when the store lacks the objects', async () => {
    const { manifestPath } = await dataAdd(dir, { store });
    const empty = new FakeStore(join(work, 'empty-store'));
    const error = await dataCheckout(manifestPath, empty, join(work, 'out')).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_STORE_OBJECT_MISSING')).toBe(true);
    expect((error as { hint?: string }).hint).toContain('mlops data pull');
  });

  it('names the manifest file when it is missing or invalid', async () => {
    await expect(readDataManifest(join(work, 'none.json'))).rejects.toThrow(join(work, 'none.json'));
    await writeFile(join(work, 'bad.json'), JSON.stringify({ format: 'mlops-data/1', classes: [] }));
    await expect(readDataManifest(join(work, 'bad.json'))).rejects.toThrow(/bad\.json is invalid/);
  });
});
