import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runDataStage } from '../../src/data/data-stage.js';
import { imageFolderSource } from '../../src/data/image-folder-source.js';
import { isMlopsError, type MlopsError } from '../../src/errors.js';
import { DataSource, type ImageInfo, ImageInspector } from '../../src/services/data-source.js';
import { FakeStore } from './helpers/fake-store.js';
import { inspectPng, makePng } from './helpers/png.js';
import { fakeDataContext } from './helpers/stage-context.js';
import { tempDir, writeTree } from './helpers/tree.js';

/** A PNG-only inspector that counts its decodes. */
class CountingInspector implements ImageInspector {
  calls = 0;
  async inspect(path: string): Promise<ImageInfo> {
    this.calls++;
    return inspectPng(await readFile(path));
  }
}

describe('runDataStage', () => {
  let root: string;
  let store: FakeStore;
  let truncated: string;
  beforeEach(async () => {
    root = await tempDir();
    store = new FakeStore(join(root, '.mlops'));
    const good = makePng(8, 6);
    truncated = join(root, 'images/train/dog/broken.png');
    await writeTree(root, {
      'images/train/cat/1.png': good,
      'images/train/cat/2.png': makePng(8, 6, 1, () => 50),
      'images/train/dog/3.png': makePng(8, 6, 1, () => 90),
      'images/train/dog/broken.png': good.subarray(0, good.length - 30),
      'images/validation/cat/4.png': makePng(8, 6, 1, () => 120),
      'images/validation/dog/5.png': makePng(8, 6, 1, () => 160),
    });
  });

  function context(data: Parameters<typeof fakeDataContext>[2] = {}) {
    const made = fakeDataContext(root, store, { path: 'images', ...data });
    const inspector = new CountingInspector();
    made.ctx.container.register(ImageInspector, { useValue: inspector });
    return { ...made, inspector };
  }

  it('stores the accepted images as a versioned tree and reports a truncated PNG as skipped', async () => {
    const { ctx, collected } = context();
    const out = await runDataStage(ctx);
    expect(out.classes).toEqual(['cat', 'dog']);
    expect(out.splits).toEqual({ train: 3, validation: 2 });
    expect(out.counts).toEqual({ train: { cat: 2, dog: 1 }, validation: { cat: 1, dog: 1 } });
    expect(out.skipped).toHaveLength(1);
    expect(out.skipped[0]?.path).toBe(truncated);
    expect(out.skipped[0]?.reason).toMatch(/truncated/);
    expect(out.imageShape).toEqual([6, 8, 1]);
    expect(out.version).toBe(out.dataset.hash);
    expect(out.dataset.kind).toBe('dir');

    const tree = await store.getTree(out.dataset);
    expect(tree.entries.map((e) => e.path)).toEqual([
      'classes.json',
      'train/cat/1.png',
      'train/cat/2.png',
      'train/dog/3.png',
      'validation/cat/4.png',
      'validation/dog/5.png',
    ]);
    const classes = JSON.parse((await store.getBytes(tree.entries[0]?.hash ?? '')).toString('utf8'));
    expect(classes).toEqual({
      format: 'mlops-classes/1',
      classes: ['cat', 'dog'],
      classMap: { cat: ['cat'], dog: ['dog'] },
    });
    expect(collected.artifacts[0]?.ref).toEqual(out.dataset);
    expect(collected.progress[0]).toMatchObject({ total: 6, ticks: 6 });
    expect(collected.logs.some((l) => l.level === 'warn' && l.message.includes('unreadable'))).toBe(true);
  });

  it("fails with MLOPS_ERR_DATA_CORRUPT_IMAGE listing the path when onCorrupt is 'error'", async () => {
    const { ctx } = context({ onCorrupt: 'error' });
    const error = (await runDataStage(ctx).catch((e: unknown) => e)) as MlopsError;
    expect(isMlopsError(error, 'MLOPS_ERR_DATA_CORRUPT_IMAGE')).toBe(true);
    expect(error.message).toContain(truncated);
    expect(error.hint).toContain("data.onCorrupt: 'skip'");
  });

  it('stops when every training image of a class is unreadable, naming the class and its files', async () => {
    const broken = makePng(8, 6).subarray(0, 20);
    await writeTree(root, { 'images/train/cat/1.png': broken, 'images/train/cat/2.png': broken });
    const { ctx } = context();
    const error = (await runDataStage(ctx).catch((e: unknown) => e)) as MlopsError;
    expect(isMlopsError(error, 'MLOPS_ERR_DATA_CORRUPT_IMAGE')).toBe(true);
    expect(error.message).toMatch(/^class "cat" has no readable training image:/);
    expect(error.message).toContain('class "cat": all 2 training image(s) are unreadable');
    expect(error.message).toContain(join(root, 'images/train/cat/1.png'));
    expect(error.message).toContain(join(root, 'images/train/cat/2.png'));
    // dog still has a readable image: only the class that lost them all is named.
    expect(error.message).not.toContain('class "dog"');
  });

  it("lists every skipped file in the log with onCorrupt: 'skip', and counts files that are not images", async () => {
    const broken = makePng(8, 6).subarray(0, 20);
    await writeTree(root, {
      'images/train/cat/bad-1.png': broken,
      'images/train/cat/bad-2.png': broken,
      'images/train/cat/notes.txt': 'not an image',
      'images/validation/dog/Thumbs.db': 'x',
    });
    const { ctx, collected } = context();
    const out = await runDataStage(ctx);
    expect(out.skipped.map((s) => s.path)).toEqual([
      join(root, 'images/train/cat/bad-1.png'),
      join(root, 'images/train/cat/bad-2.png'),
      truncated,
    ]);
    expect(out.skipped[0]).toMatchObject({ split: 'train', label: 'cat' });
    const warning = collected.logs.find((l) => l.level === 'warn' && l.message.startsWith('skipping 3'));
    for (const skipped of out.skipped) expect(warning?.message).toContain(`  ${skipped.path}: `);
    expect(out.ignored).toBe(2);
    expect(collected.logs).toContainEqual({
      level: 'warn',
      message: 'ignored 2 file(s) in class folders that are not images (.jpeg, .jpg, .png, .webp)',
    });
  });

  it('does not decode unchanged images again (inspection cache by content hash)', async () => {
    const first = context();
    const out1 = await runDataStage(first.ctx);
    expect(first.inspector.calls).toBe(6);
    const second = context();
    const out2 = await runDataStage(second.ctx);
    expect(second.inspector.calls).toBe(0);
    // Nor store the unchanged tree again.
    expect(store.putTreeCalls).toBe(1);
    expect(out2.version).toBe(out1.version);
    expect(out2.skipped).toEqual(out1.skipped);
    const cached = JSON.parse(await readFile(join(root, '.mlops/cache/inspected.json'), 'utf8'));
    expect(Object.keys(cached.results)).toHaveLength(6);
  });

  it('gives a data version that changes with the data and not otherwise', async () => {
    const a = await runDataStage(context().ctx);
    const b = await runDataStage(context({ limitPerClass: 1 }).ctx);
    expect(b.splits).toEqual({ train: 2, validation: 2 });
    expect(b.version).not.toBe(a.version);
    const c = await runDataStage(context().ctx);
    expect(c.version).toBe(a.version);
  });

  it('stores labels of a class map under safe folder names, keeping the labels in classes.json', async () => {
    const { ctx } = context({ classMap: { 'cat/kitten': ['cat'], dog: ['dog'] } });
    const out = await runDataStage(ctx);
    expect(out.classes).toEqual(['cat/kitten', 'dog']);
    const tree = await store.getTree(out.dataset);
    expect(tree.entries.map((e) => e.path)).toContain('train/cat_kitten/1.png');
  });

  it('uses a registered data source and lists the registered names for an unknown one', async () => {
    const { ctx } = context({ source: 'custom' });
    const error = (await runDataStage(ctx).catch((e: unknown) => e)) as MlopsError;
    expect(isMlopsError(error, 'MLOPS_ERR_CONFIG_INVALID')).toBe(true);
    expect(error.message).toContain('registered: imagefolder');

    ctx.container.register(DataSource, {
      useValue: { name: 'custom', prepare: async () => join(root, 'images') },
    });
    expect((await runDataStage(ctx)).classes).toEqual(['cat', 'dog']);
  });

  it('imagefolder needs data.path', async () => {
    const { ctx } = fakeDataContext(root, store, {});
    await expect(imageFolderSource.prepare(ctx)).rejects.toThrow(/data\.path is required/);
    const withPath = fakeDataContext(root, store, { path: 'images' });
    expect(await imageFolderSource.prepare(withPath.ctx)).toBe(join(root, 'images'));
  });
});
