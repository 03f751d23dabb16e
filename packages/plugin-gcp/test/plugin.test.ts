import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ArtifactStore,
  dataAdd,
  LocalArtifactStore,
  ModelRegistry,
  type RunEndEvent,
  type RunStartEvent,
} from '@mlops/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pushDataVersion } from '../src/data/data-remote.js';
import { GcsArtifactStore } from '../src/gcs/gcs-artifact-store.js';
import { GcsModelRegistry } from '../src/registry/gcs-model-registry.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';
import { emulatorClient, listDirect, readDirect, tempDir } from './helpers.js';
import { gcpProject } from './project.js';

let emulator: GcsEmulator;
beforeAll(async () => {
  emulator = await startGcsEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

const remote = 'gs://plugin-bucket/proj';

describe('gcp() plugin wiring', () => {
  it('keeps core services by default and puts the store and registry in the bucket when asked', async () => {
    const { dir, cleanup } = await tempDir();
    const local = await gcpProject(dir, { apiEndpoint: emulator.url }, { store: { path: '.mlops', remote } });
    expect(local.pipeline.container.resolve(ArtifactStore)).toBeInstanceOf(LocalArtifactStore);
    const bucket = await gcpProject(
      dir,
      { apiEndpoint: emulator.url, store: 'bucket', registry: 'bucket' },
      { store: { path: '.mlops', remote } },
    );
    const store = bucket.pipeline.container.resolve(ArtifactStore);
    expect(store).toBeInstanceOf(GcsArtifactStore);
    expect(store.location).toBe(remote);
    expect(bucket.pipeline.container.resolve(ModelRegistry)).toBeInstanceOf(GcsModelRegistry);
    // The environment overrides the options (how Vertex jobs and Cloud Run switch to the bucket).
    process.env.MLOPS_GCP_STORE = 'bucket';
    const byEnv = await gcpProject(dir, { apiEndpoint: emulator.url }, { store: { path: '.mlops', remote } });
    expect(byEnv.pipeline.container.resolve(ArtifactStore)).toBeInstanceOf(GcsArtifactStore);
    process.env.MLOPS_GCP_STORE = 'cloud';
    await expect(
      gcpProject(dir, { apiEndpoint: emulator.url }, { store: { path: '.mlops', remote } }),
    ).rejects.toThrow(/MLOPS_GCP_STORE=cloud is neither "local" nor "bucket"/);
    delete process.env.MLOPS_GCP_STORE;
    await expect(gcpProject(dir, { store: 'bucket' })).rejects.toThrow(/store\.remote is not set/);
    await cleanup();
  });

  it('with store: "bucket", a run\'s data stage puts the dataset version in the bucket', async () => {
    const { dir, cleanup } = await tempDir();
    const images = {
      'train/cat/1.png': 'a',
      'train/dog/1.png': 'b',
      'validation/cat/2.png': 'c',
      'validation/dog/2.png': 'd',
    };
    for (const [path, content] of Object.entries(images)) {
      await mkdir(join(dir, 'data', path, '..'), { recursive: true });
      await writeFile(join(dir, 'data', path), content);
    }
    const { pipeline } = await gcpProject(
      dir,
      { apiEndpoint: emulator.url, store: 'bucket' },
      {
        store: { path: '.mlops', remote: 'gs://plugin-bucket/run' },
        data: { source: 'imagefolder', path: 'data' },
      },
    );
    const result = await pipeline.run({ stages: ['data'] });
    const version = result.outputs.data?.version ?? '';
    const names = await listDirect(emulator.directUrl, 'plugin-bucket', 'run/objects/');
    expect(names).toContain(`run/objects/${version.slice(0, 2)}/${version.slice(2)}`);
    const tree = JSON.parse(
      (
        await readDirect(
          emulator.directUrl,
          'plugin-bucket',
          `run/objects/${version.slice(0, 2)}/${version.slice(2)}`,
        )
      )?.toString() ?? '{}',
    );
    expect(tree.entries.length).toBeGreaterThanOrEqual(4);
    for (const entry of tree.entries as { hash: string }[]) {
      expect(names).toContain(`run/objects/${entry.hash.slice(0, 2)}/${entry.hash.slice(2)}`);
    }
    await cleanup();
  });

  it("registering in the bucket registry uploads the version's artifacts first", async () => {
    const { dir, cleanup } = await tempDir();
    const { pipeline } = await gcpProject(
      dir,
      { apiEndpoint: emulator.url, registry: 'bucket' },
      { store: { path: '.mlops', remote } },
    );
    const model = join(dir, 'model');
    await mkdir(model);
    await writeFile(join(model, 'model.json'), '{}');
    await writeFile(join(model, 'weights.bin'), 'weights');
    const ref = await new LocalArtifactStore(join(dir, '.mlops')).putDir(model);
    const version = await pipeline.container
      .resolve(ModelRegistry)
      .register({ model: 'shoes', artifacts: { tfjs: ref } });
    expect(version.version).toBe(1);
    const tree = await readDirect(
      emulator.directUrl,
      'plugin-bucket',
      `proj/objects/${ref.hash.slice(0, 2)}/${ref.hash.slice(2)}`,
    );
    const entries = JSON.parse(tree?.toString() ?? '{}').entries as { hash: string }[];
    for (const entry of entries) {
      expect(
        await readDirect(
          emulator.directUrl,
          'plugin-bucket',
          `proj/objects/${entry.hash.slice(0, 2)}/${entry.hash.slice(2)}`,
        ),
      ).toBeDefined();
    }
    await cleanup();
  });

  it('inside a Vertex job: restores the data before the run and writes result.json after it', async () => {
    const { dir, cleanup } = await tempDir();
    await mkdir(join(dir, 'data/train/cat'), { recursive: true });
    await writeFile(join(dir, 'data/train/cat/1.png'), 'a cat');
    const added = await dataAdd(join(dir, 'data'), {
      store: new LocalArtifactStore(join(dir, 'laptop-store')),
    });
    const laptop = new GcsArtifactStore({
      url: remote,
      storage: emulatorClient(emulator.url),
      cache: new LocalArtifactStore(join(dir, 'laptop-store')),
    });
    await pushDataVersion(added.manifestPath, laptop);
    await rm(join(dir, 'data'), { recursive: true }); // the image has the manifest, not the images
    process.env.MLOPS_GCP_JOB = 'job-7';
    process.env.MLOPS_GCP_CHECKOUT = 'data.mlops-data.json';
    const { pipeline } = await gcpProject(
      dir,
      { apiEndpoint: emulator.url },
      { store: { path: '.mlops', remote } },
    );
    const run = { id: 'run-42', dir: join(dir, '.mlops/runs/run-42'), resumed: false };
    await pipeline.hooks.runStart.promise({
      run,
      config: pipeline.config,
      stages: ['data'],
    } as unknown as RunStartEvent);
    expect(await readFile(join(dir, 'data/train/cat/1.png'), 'utf8')).toBe('a cat');
    const end: RunEndEvent = {
      run,
      status: 'succeeded',
      durationMs: 5,
      outputs: {
        export: { exports: [], registered: { model: 'shoes', version: 3, aliases: ['latest'] } },
      } as unknown as RunEndEvent['outputs'],
    };
    await pipeline.hooks.runEnd.promise(end);
    const result = JSON.parse(
      (await readDirect(emulator.directUrl, 'plugin-bucket', 'proj/jobs/job-7/result.json'))?.toString() ??
        '{}',
    );
    expect(result).toEqual({
      format: 'mlops-vertex-result/1',
      jobId: 'job-7',
      status: 'succeeded',
      runId: 'run-42',
      registered: { model: 'shoes', version: 3, aliases: ['latest'] },
    });
    await cleanup();
  });
});
