import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/store/local-artifact-store.js';
import { computeStageKey, findArtifactRefs, StageCache } from '../../src/store/stage-cache.js';
import { sha256 } from '../../src/util/hash.js';
import { makeTempDir } from './spawn-ts.js';

let dir: string;
let cleanup: () => Promise<void>;
let store: LocalArtifactStore;
let cache: StageCache;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
  store = new LocalArtifactStore(join(dir, '.mlops'));
  cache = new StageCache(join(dir, '.mlops'), store);
});
afterEach(() => cleanup());

describe('computeStageKey', () => {
  const base = {
    stage: 'train',
    config: { epochs: 3, optimizer: { name: 'adamw', lr: 0.001 } },
    upstream: { model: 'a'.repeat(64), data: 'b'.repeat(64) },
    plugins: { '@mlops/plugin-tfjs': '0.1.0' },
    engine: 'tfjs-node@4.22.0',
  };

  it('ignores key order and changes with every input', () => {
    const key = computeStageKey(base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(
      computeStageKey({
        engine: 'tfjs-node@4.22.0',
        plugins: { '@mlops/plugin-tfjs': '0.1.0' },
        upstream: { data: 'b'.repeat(64), model: 'a'.repeat(64) },
        config: { optimizer: { lr: 0.001, name: 'adamw' }, epochs: 3 },
        stage: 'train',
      }),
    ).toBe(key);
    const variants = [
      { ...base, stage: 'evaluate' },
      { ...base, config: { ...base.config, epochs: 4 } },
      { ...base, upstream: { ...base.upstream, data: 'c'.repeat(64) } },
      { ...base, plugins: { '@mlops/plugin-tfjs': '0.2.0' } },
      { ...base, engine: 'wasm' },
      { ...base, engine: undefined },
    ];
    const keys = new Set([key, ...variants.map(computeStageKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });
});

describe('StageCache', () => {
  it('misses, then hits after put, per stage and key', async () => {
    const key = computeStageKey({ stage: 'data', config: {}, upstream: {}, plugins: {} });
    expect(await cache.get('data', key)).toBeUndefined();
    const ref = await store.putBytes(Buffer.from('dataset'));
    const output = { dataset: ref, classes: ['a', 'b'] };
    await cache.put('data', key, output, '20261126-031500-x7k2');
    const hit = await cache.get<typeof output>('data', key);
    expect(hit).toMatchObject({ key, stage: 'data', output, runId: '20261126-031500-x7k2' });
    expect(Date.parse(hit!.createdAt)).not.toBeNaN();
    expect(await cache.get('model', key)).toBeUndefined();
    expect(await cache.get('data', 'f'.repeat(64))).toBeUndefined();
    expect(await cache.keys('data')).toEqual([key]);
  });

  it('misses when an artifact of the output is gone from the store', async () => {
    const kept = await store.putBytes(Buffer.from('history'));
    const pruned = await store.putBytes(Buffer.from('weights'));
    await cache.put('train', 'k1', { nested: [{ model: pruned }], history: kept }, 'run');
    expect(await cache.get('train', 'k1')).toBeDefined();
    await rm(store.objectPath(pruned.hash));
    expect(await cache.get('train', 'k1')).toBeUndefined();
  });

  it('misses when a file of a tree artifact is gone, not only its manifest', async () => {
    const src = join(dir, 'ds');
    await mkdir(src);
    await writeFile(join(src, 'a.png'), 'a');
    await writeFile(join(src, 'b.png'), 'b');
    const tree = await store.putDir(src);
    await cache.put('data', 'k', { dataset: tree }, 'run');
    expect(await cache.get('data', 'k')).toBeDefined();
    await rm(store.objectPath(sha256('b')));
    expect(await cache.get('data', 'k')).toBeUndefined();
    // A remote-store cache may skip the per-file check and look at manifests only.
    const shallow = new StageCache(join(dir, '.mlops'), store, { checkTreeEntries: false });
    expect(await shallow.get('data', 'k')).toBeDefined();
  });

  it('treats a damaged record as a miss and can invalidate entries', async () => {
    await cache.put('export', 'k', { url: 'x' }, 'run');
    await writeFile(join(dir, '.mlops', 'cache', 'export', 'k.json'), '{ not json');
    expect(await cache.get('export', 'k')).toBeUndefined();
    await cache.put('export', 'k2', {}, 'run');
    await cache.invalidate('export', 'k2');
    expect(await cache.get('export', 'k2')).toBeUndefined();
    await cache.invalidate('export');
    expect(await readdir(join(dir, '.mlops', 'cache'))).toEqual([]);
  });

  it('refuses stage names and keys that would leave the cache directory', async () => {
    await expect(cache.put('../x', 'k', {}, 'run')).rejects.toMatchObject({ code: 'MLOPS_ERR_USAGE' });
    await expect(cache.get('data', '../../k')).rejects.toMatchObject({ code: 'MLOPS_ERR_USAGE' });
  });
});

describe('findArtifactRefs', () => {
  it('finds references at any depth and nothing else', () => {
    const a = { hash: 'a'.repeat(64), kind: 'file', size: 1 };
    const b = { hash: 'b'.repeat(64), kind: 'dir', size: 2, name: 'tree' };
    const refs = findArtifactRefs({
      x: a,
      list: [{ deep: { b } }, 3, null],
      notRef: { hash: 'h', kind: 'other' },
    });
    expect(refs).toEqual([a, b]);
  });
});
