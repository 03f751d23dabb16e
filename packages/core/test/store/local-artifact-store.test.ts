import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMlopsError } from '../../src/errors.js';
import type { ArtifactRef } from '../../src/services/artifact-store.js';
import { LocalArtifactStore } from '../../src/store/local-artifact-store.js';
import { sha256 } from '../../src/util/hash.js';
import { stableStringify } from '../../src/util/json.js';
import { makeTempDir, runTs } from './spawn-ts.js';

let dir: string;
let cleanup: () => Promise<void>;
let store: LocalArtifactStore;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
  store = new LocalArtifactStore(join(dir, '.mlops'));
});
afterEach(() => cleanup());

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

async function listAll(): Promise<string[]> {
  const out: string[] = [];
  for await (const hash of store.list()) out.push(hash);
  return out.sort();
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('files', () => {
  it('stores bytes by sha256 under objects/<2>/<62>, read-only', async () => {
    const ref = await store.putBytes(Buffer.from('hello'), { name: 'greeting.txt', mediaType: 'text/plain' });
    expect(ref).toEqual({
      hash: sha256('hello'),
      kind: 'file',
      size: 5,
      name: 'greeting.txt',
      mediaType: 'text/plain',
    });
    const path = join(dir, '.mlops', 'objects', ref.hash.slice(0, 2), ref.hash.slice(2));
    expect(await readFile(path, 'utf8')).toBe('hello');
    expect((await stat(path)).mode & 0o222).toBe(0);
    expect(await store.localPath(ref)).toBe(path);
    expect((await store.getBytes(ref)).toString()).toBe('hello');
    expect((await store.getBytes(ref.hash)).toString()).toBe('hello');
    expect(await store.has(ref.hash)).toBe(true);
    expect(await store.has(sha256('other'))).toBe(false);
    expect(await store.has('../../etc/passwd')).toBe(false);
  });

  it('deduplicates equal content, also between putBytes and putFile and in parallel', async () => {
    await writeFiles(dir, { 'a.bin': 'same', 'b.bin': 'same' });
    const refs = await Promise.all([
      store.putFile(join(dir, 'a.bin')),
      store.putFile(join(dir, 'b.bin')),
      store.putBytes(Buffer.from('same')),
      store.putBytes(Buffer.from('same')),
    ]);
    expect(new Set(refs.map((r) => r.hash))).toEqual(new Set([sha256('same')]));
    expect(refs[0]!.name).toBe('a.bin');
    expect(await listAll()).toEqual([sha256('same')]);
    expect(await readdir(join(dir, '.mlops', 'tmp')).catch(() => [])).toEqual([]); // no temp left behind
  });

  it('streams large files', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await writeFile(join(dir, 'big.bin'), big);
    const ref = await store.putFile(join(dir, 'big.bin'));
    expect(ref.size).toBe(big.length);
    expect(ref.hash).toBe(sha256(big));
    expect((await store.getBytes(ref)).equals(big)).toBe(true);
  });

  it('checks out a writable copy of a file', async () => {
    const ref = await store.putBytes(Buffer.from('model'));
    const dest = join(dir, 'out', 'model.bin');
    await store.checkout(ref, dest);
    expect(await readFile(dest, 'utf8')).toBe('model');
    expect((await stat(dest)).mode & 0o200).toBe(0o200);
  });
});

describe('trees', () => {
  const files = {
    'train/cat/1.png': 'c1',
    'train/dog/1.png': 'd1',
    'val/cat/2.png': 'c2',
    'labels.json': '["cat","dog"]',
    '.DS_Store': 'junk',
    'train/.hidden/x.png': 'hidden',
  };

  it('stores a directory as a sorted manifest whose hash is the reference, skipping dotfiles', async () => {
    const src = join(dir, 'dataset');
    await writeFiles(src, files);
    const ref = await store.putDir(src);
    const manifest = await store.getTree(ref);
    expect(manifest.format).toBe('mlops-tree/1');
    expect(manifest.entries.map((e) => e.path)).toEqual([
      'labels.json',
      'train/cat/1.png',
      'train/dog/1.png',
      'val/cat/2.png',
    ]);
    expect(manifest.entries[1]).toEqual({ path: 'train/cat/1.png', hash: sha256('c1'), size: 2 });
    expect(ref).toEqual({ hash: sha256(stableStringify(manifest)), kind: 'dir', size: 19, name: 'dataset' });
    // The manifest is an object of the store like any other.
    expect(await store.has(ref.hash)).toBe(true);
  });

  it('gives equal trees equal hashes wherever they come from (putDir and putTree)', async () => {
    await writeFiles(join(dir, 'one'), { 'a/x.txt': 'x', 'b.txt': 'b' });
    await writeFiles(join(dir, 'elsewhere'), { file1: 'x', file2: 'b' });
    const fromDir = await store.putDir(join(dir, 'one'));
    const fromTree = await store.putTree([
      { path: 'b.txt', file: join(dir, 'elsewhere', 'file2') },
      { path: 'a/x.txt', file: join(dir, 'elsewhere', 'file1') },
    ]);
    expect(fromTree.hash).toBe(fromDir.hash);
  });

  it('rejects unsafe and duplicate tree paths before storing anything', async () => {
    await writeFiles(dir, { 'f.txt': 'f' });
    const file = join(dir, 'f.txt');
    for (const path of ['../f.txt', '/abs', 'a//b', 'a\\b', './a']) {
      const error = await errorOf(store.putTree([{ path, file }]));
      expect(isMlopsError(error, 'MLOPS_ERR_USAGE')).toBe(true);
    }
    const dup = await errorOf(
      store.putTree([
        { path: 'a', file },
        { path: 'a', file },
      ]),
    );
    expect(dup.message).toContain('two entries for path "a"');
    expect(await listAll()).toEqual([]);
  });

  it('materializes a tree once under trees/<hash>/ with hard links to the objects', async () => {
    const src = join(dir, 'dataset');
    await writeFiles(src, files);
    const ref = await store.putDir(src);
    const path = await store.localPath(ref);
    expect(path).toBe(join(dir, '.mlops', 'trees', ref.hash));
    expect(await readFile(join(path, 'train', 'dog', '1.png'), 'utf8')).toBe('d1');
    const linked = await stat(join(path, 'val', 'cat', '2.png'));
    const object = await stat(store.objectPath(sha256('c2')));
    expect(linked.ino).toBe(object.ino);
    expect(linked.mode & 0o222).toBe(0);
    expect(await store.localPath(ref)).toBe(path);
    expect((await readdir(join(dir, '.mlops', 'trees'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('checks out a tree: fresh, merged into an existing directory, or clean', async () => {
    const src = join(dir, 'dataset');
    await writeFiles(src, { 'a.txt': 'a', 'sub/b.txt': 'b' });
    const ref = await store.putDir(src);

    const fresh = join(dir, 'fresh');
    await store.checkout(ref, fresh);
    expect(await readFile(join(fresh, 'sub', 'b.txt'), 'utf8')).toBe('b');
    expect((await stat(join(fresh, 'a.txt'))).mode & 0o200).toBe(0o200);

    const merged = join(dir, 'merged');
    await writeFiles(merged, { 'a.txt': 'stale', 'extra.txt': 'mine' });
    await store.checkout(ref, merged);
    expect(await readFile(join(merged, 'a.txt'), 'utf8')).toBe('a');
    expect(await readFile(join(merged, 'extra.txt'), 'utf8')).toBe('mine');

    await store.checkout(ref, merged, { clean: true });
    expect((await readdir(merged)).sort()).toEqual(['a.txt', 'sub']);
  });

  it('verifies content and reports missing and corrupt objects', async () => {
    const src = join(dir, 'dataset');
    await writeFiles(src, { 'a.txt': 'a', 'b.txt': 'b' });
    const ref = await store.putDir(src);
    expect(await store.verify(ref)).toEqual({ ok: true, checked: 3, missing: [], corrupt: [] });

    const aPath = store.objectPath(sha256('a'));
    await chmod(aPath, 0o644);
    await writeFile(aPath, 'tampered');
    await rm(store.objectPath(sha256('b')));
    const result = await store.verify(ref);
    expect(result).toMatchObject({ ok: false, missing: [sha256('b')], corrupt: [sha256('a')] });
    expect(await store.verify(sha256('a'))).toMatchObject({ ok: false, corrupt: [sha256('a')] });
  });

  it('refuses a damaged manifest', async () => {
    const src = join(dir, 'dataset');
    await writeFiles(src, { 'a.txt': 'a' });
    const ref = await store.putDir(src);
    await chmod(store.objectPath(ref.hash), 0o644);
    await writeFile(store.objectPath(ref.hash), '{"format":"mlops-tree/1","entries":[]}');
    const error = await errorOf(store.getTree(ref));
    expect(isMlopsError(error, 'MLOPS_ERR_STORE_CORRUPT')).toBe(true);
    expect(error.message).toContain(store.objectPath(ref.hash));
  });

  it('is safe when two processes store and materialize the same tree at once', async () => {
    const src = join(dir, 'dataset');
    const many: Record<string, string> = {};
    for (let i = 0; i < 60; i++) many[`c${i % 3}/img${i}.png`] = `image ${i}`;
    await writeFiles(src, many);
    const script = join(import.meta.dirname, 'fixtures', 'put-same-tree.ts');
    const root = join(dir, '.mlops');
    const outputs = await Promise.all([runTs(script, [root, src]), runTs(script, [root, src])]);
    expect(outputs[0]).toBe(outputs[1]);
    const hash = outputs[0]!.trim();
    expect(await store.verify({ hash, kind: 'dir', size: 0 })).toMatchObject({ ok: true, checked: 61 });
    expect(await readdir(join(root, 'trees'))).toEqual([hash]);
    expect(await readdir(join(root, 'tmp')).catch(() => [])).toEqual([]);
  });
});

describe('missing objects', () => {
  it('names the hash and how to get it back', async () => {
    const hash = sha256('never stored');
    const error = await errorOf(store.getBytes(hash));
    expect(isMlopsError(error, 'MLOPS_ERR_STORE_OBJECT_MISSING')).toBe(true);
    expect(error.message).toContain(hash);
    expect((error as { hint?: string }).hint).toContain('mlops data pull');
    const ref: ArtifactRef = { hash, kind: 'file', size: 1 };
    expect(isMlopsError(await errorOf(store.localPath(ref)), 'MLOPS_ERR_STORE_OBJECT_MISSING')).toBe(true);
    expect(
      isMlopsError(await errorOf(store.checkout(ref, join(dir, 'x'))), 'MLOPS_ERR_STORE_OBJECT_MISSING'),
    ).toBe(true);
  });

  it('names the missing file of a tree when materializing it, and leaves nothing half-made', async () => {
    const src = join(dir, 'dataset');
    await writeFiles(src, { 'a.txt': 'a', 'b.txt': 'b' });
    const ref = await store.putDir(src);
    await rm(store.objectPath(sha256('b')));
    const error = await errorOf(store.localPath(ref));
    expect(isMlopsError(error, 'MLOPS_ERR_STORE_OBJECT_MISSING')).toBe(true);
    expect(error.message).toContain(sha256('b'));
    expect(await readdir(join(dir, '.mlops', 'trees'))).toEqual([]);
  });

  it('rejects strings that are not hashes', async () => {
    expect(isMlopsError(await errorOf(store.getBytes('../../x')), 'MLOPS_ERR_USAGE')).toBe(true);
    const escaping = { hash: '../../..', kind: 'dir' as const, size: 0 };
    expect(isMlopsError(await errorOf(store.localPath(escaping)), 'MLOPS_ERR_USAGE')).toBe(true);
  });
});
