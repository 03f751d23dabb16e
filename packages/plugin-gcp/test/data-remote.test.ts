import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataAdd, dataCheckout, isMlopsError, LocalArtifactStore } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataTransferResult } from '../src/data/data-remote.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';
import { tempDir } from './helpers.js';
import { gcpProject } from './project.js';

let emulator: GcsEmulator;
beforeAll(async () => {
  emulator = await startGcsEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

/** An ImageFolder tree (file contents need not be images: the scan goes by extension). */
async function writeDataset(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const uploads = (from: number) =>
  emulator.requests
    .slice(from)
    .filter((r) => r.method === 'POST' && r.url.startsWith('/upload/') && r.status === 200).length;

describe('mlops data push|pull against the GCS emulator', () => {
  it('pushes a data version, pulls it on another machine, transfers only what is missing', async () => {
    const a = await tempDir();
    const b = await tempDir();
    const remote = 'gs://data-bucket/team';
    const options = { apiEndpoint: emulator.url, retry: { maxRetries: 2, multiplier: 1.1 } };
    const files = {
      'train/cat/1.png': 'cat one',
      'train/cat/2.png': 'cat two',
      'train/dog/1.png': 'dog one',
      'validation/cat/3.png': 'cat three',
      'validation/dog/2.png': 'dog two',
    };
    await writeDataset(join(a.dir, 'data'), files);
    const storeA = new LocalArtifactStore(join(a.dir, '.mlops'));
    const added = await dataAdd(join(a.dir, 'data'), { store: storeA });
    const projectA = await gcpProject(a.dir, options, { store: { path: '.mlops', remote } });

    let before = emulator.requests.length;
    const [pushed] = (await projectA.command('data push', [added.manifestPath])) as DataTransferResult[];
    const objects = new Set(added.manifest.files.map((f) => f.hash)).size + 1; // + the tree manifest
    expect(pushed).toMatchObject({ version: added.version, objects, transferred: objects, skipped: 0 });
    expect(uploads(before)).toBe(objects);

    before = emulator.requests.length;
    const [again] = (await projectA.command('data push', [])) as DataTransferResult[]; // finds the manifest
    expect(again).toMatchObject({ transferred: 0, skipped: objects });
    expect(uploads(before)).toBe(0);

    // Machine B has the manifest (from git) but no data and no store.
    await cp(added.manifestPath, join(b.dir, 'data.mlops-data.json'));
    const projectB = await gcpProject(b.dir, options, { store: { path: '.mlops', remote } });
    const storeB = new LocalArtifactStore(join(b.dir, '.mlops'));
    await expect(dataCheckout(join(b.dir, 'data.mlops-data.json'), storeB)).rejects.toSatisfy((e) =>
      isMlopsError(e, 'MLOPS_ERR_STORE_OBJECT_MISSING'),
    );
    const [pulled] = (await projectB.command('data pull', [join(b.dir, 'data.mlops-data.json')], {
      checkout: true,
    })) as (DataTransferResult & {
      checkedOut: string;
    })[];
    expect(pulled).toMatchObject({ version: added.version, transferred: objects });
    for (const [path, content] of Object.entries(files)) {
      expect(await readFile(join(b.dir, 'data', path), 'utf8')).toBe(content);
    }
    expect((await storeB.verify({ hash: added.version, kind: 'dir', size: 0 })).ok).toBe(true);

    // A second version adds one image: only it and the new tree go up, only they come down.
    await writeDataset(join(a.dir, 'data'), { 'train/dog/3.png': 'dog three' });
    const v2 = await dataAdd(join(a.dir, 'data'), { store: storeA });
    const [pushed2] = (await projectA.command('data push', [v2.manifestPath])) as DataTransferResult[];
    expect(pushed2?.transferred).toBe(2);
    await cp(v2.manifestPath, join(b.dir, 'data.mlops-data.json'));
    const [pulled2] = (await projectB.command('data pull', [
      join(b.dir, 'data.mlops-data.json'),
    ])) as DataTransferResult[];
    expect(pulled2?.transferred).toBe(2);
    await dataCheckout(join(b.dir, 'data.mlops-data.json'), storeB);
    expect(await readFile(join(b.dir, 'data', 'train/dog/3.png'), 'utf8')).toBe('dog three');
    await Promise.all([a.cleanup(), b.cleanup()]);
  });

  it('explains what to do when a version was never pushed, or store.remote is unset', async () => {
    const a = await tempDir();
    await writeDataset(join(a.dir, 'data'), { 'train/cat/1.png': 'lonely cat' });
    const added = await dataAdd(join(a.dir, 'data'), {
      store: new LocalArtifactStore(join(a.dir, 'other-store')),
    });
    const project = await gcpProject(
      a.dir,
      { apiEndpoint: emulator.url },
      { store: { path: '.mlops', remote: 'gs://data-bucket/empty' } },
    );
    await expect(project.command('data pull', [added.manifestPath])).rejects.toThrow(
      /is not in gs:\/\/data-bucket\/empty.*/,
    );
    await expect(project.command('data push', [added.manifestPath])).rejects.toThrow(
      /not in the local store/,
    );
    const noRemote = await gcpProject(a.dir, { apiEndpoint: emulator.url });
    await expect(noRemote.command('data push', [added.manifestPath])).rejects.toThrow(
      /store\.remote is not set/,
    );
    await a.cleanup();
  });
});
