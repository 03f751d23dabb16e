import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataAdd, dataCheckout, dataStatus } from '../../src/data/data-commands.js';
import { runDataStage } from '../../src/data/data-stage.js';
import { ImageInspector } from '../../src/services/data-source.js';
import { LocalArtifactStore } from '../../src/store/local-artifact-store.js';
import { inspectPng, makePng } from './helpers/png.js';
import { fakeDataContext } from './helpers/stage-context.js';
import { tempDir, writeTree } from './helpers/tree.js';

describe('data versions with the real LocalArtifactStore', () => {
  it('adds, checks out and reports status; the data stage stores the same images', async () => {
    const work = await tempDir();
    const dir = join(work, 'pets');
    const store = new LocalArtifactStore(join(work, '.mlops'));
    await writeTree(dir, {
      'train/cat/1.png': makePng(5, 5, 1, () => 10),
      'train/dog/2.png': makePng(5, 5, 1, () => 20),
      'validation/cat/3.png': makePng(5, 5, 1, () => 30),
      'validation/dog/4.png': makePng(5, 5, 1, () => 40),
    });
    const added = await dataAdd(dir, { store });
    expect((await store.getTree(added.version)).entries).toHaveLength(4);
    await rm(dir, { recursive: true });
    await dataCheckout(added.manifestPath, store);
    expect(await readFile(join(dir, 'train/dog/2.png'))).toEqual(makePng(5, 5, 1, () => 20));
    expect((await dataStatus(dir)).clean).toBe(true);

    const { ctx } = fakeDataContext(work, store, { path: 'pets' });
    ctx.container.register(ImageInspector, {
      useValue: { inspect: async (p: string) => inspectPng(await readFile(p)) },
    });
    const out = await runDataStage(ctx);
    expect(out.splits).toEqual({ train: 2, validation: 2 });
    const tree = await store.getTree(out.dataset);
    const byPath = new Map(tree.entries.map((e) => [e.path, e.hash]));
    const recorded = new Map(added.manifest.files.map((f) => [f.path, f.hash]));
    expect(byPath.get('train/cat/1.png')).toBe(recorded.get('train/cat/1.png'));
    expect(await readFile(join(await store.localPath(out.dataset), 'classes.json'), 'utf8')).toContain(
      '"cat"',
    );
  });
});
