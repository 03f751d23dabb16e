import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ArtifactStore,
  configToJson,
  dataAdd,
  LocalArtifactStore,
  ModelRegistry,
  type RunEndEvent,
  type RunStartEvent,
  RunStore,
} from '@mlops/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pushDataVersion } from '../src/data/data-remote.js';
import { GcsArtifactStore } from '../src/gcs/gcs-artifact-store.js';
import { GcsModelRegistry } from '../src/registry/gcs-model-registry.js';
import { writeJobFile } from '../src/vertex/job-files.js';
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

  it('inside a Vertex job: reads job.json back, restores its data, records its git sha, writes result.json', async () => {
    const { dir, cleanup } = await tempDir();
    await mkdir(join(dir, 'data/train/cat'), { recursive: true });
    await writeFile(join(dir, 'data/train/cat/1.png'), 'a cat');
    const laptopStore = new LocalArtifactStore(join(dir, 'laptop-store'));
    const added = await dataAdd(join(dir, 'data'), { store: laptopStore });
    const laptop = new GcsArtifactStore({
      url: remote,
      storage: emulatorClient(emulator.url),
      cache: laptopStore,
    });
    await pushDataVersion(added.manifestPath, laptop);
    const submittedManifest = await laptop.putFile(added.manifestPath);
    // The image carries an older manifest (another data version) and none of the images.
    const submittedText = await readFile(added.manifestPath, 'utf8');
    await rm(join(dir, 'data'), { recursive: true });
    await writeFile(
      added.manifestPath,
      submittedText.replace(/"tree": "[0-9a-f]+"/, `"tree": "${'0'.repeat(64)}"`),
    );
    process.env.MLOPS_GCP_JOB = 'job-7';
    const { pipeline, log } = await gcpProject(
      dir,
      { apiEndpoint: emulator.url },
      { store: { path: '.mlops', remote } },
    );
    await writeJobFile(emulatorClient(emulator.url), remote, 'job-7', 'job.json', {
      format: 'mlops-vertex-job/1',
      jobId: 'job-7',
      createdAt: new Date().toISOString(),
      // Submitted from a laptop: another root, same config.
      config: JSON.parse(JSON.stringify(configToJson(pipeline.config)).replaceAll(dir, '/home/ana/shoes')),
      data: { 'data.mlops-data.json': added.version },
      manifests: { 'data.mlops-data.json': submittedManifest.hash },
      gitSha: `${'a'.repeat(40)}-dirty`,
      request: {},
    });
    const runs = new RunStore(join(dir, '.mlops'));
    const record = await runs.create({ project: 'shoes' });
    const run = { id: record.id, dir: runs.runDir(record.id), resumed: false };
    await pipeline.hooks.runStart.promise({
      run,
      config: pipeline.config,
      stages: ['data'],
    } as unknown as RunStartEvent);
    expect(await readFile(join(dir, 'data/train/cat/1.png'), 'utf8')).toBe('a cat');
    expect(await readFile(added.manifestPath, 'utf8')).toBe(submittedText); // the submitted manifest won
    expect(log.warn.join('\n')).toMatch(/data\.mlops-data\.json in the image differs from the one submitted/);
    // The code version is the submitted one: in the run's lineage and its record.
    expect((run as { gitSha?: string }).gitSha).toBe(`${'a'.repeat(40)}-dirty`);
    expect((await runs.get(record.id)).git).toEqual({ sha: 'a'.repeat(40), dirty: true });
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
      runId: record.id,
      registered: { model: 'shoes', version: 3, aliases: ['latest'] },
      // The run's own metrics (none recorded here), read by sweep trials run as Vertex jobs.
      runMetrics: {},
      verified: {
        data: { 'data.mlops-data.json': added.version },
        gitSha: `${'a'.repeat(40)}-dirty`,
        config: true,
      },
    });
    await cleanup();
  });

  it('inside a Vertex job: a config that is not the submitted one fails before the run, saying which keys', async () => {
    const { dir, cleanup } = await tempDir();
    process.env.MLOPS_GCP_JOB = 'job-8';
    const { pipeline } = await gcpProject(dir, { apiEndpoint: emulator.url }, {
      store: { path: '.mlops', remote },
      train: { epochs: 3 },
    } as never);
    const submitted = configToJson(pipeline.config) as { train: Record<string, unknown>; plugins: unknown };
    submitted.train.epochs = 30;
    submitted.plugins = [{ name: '@mlops/plugin-gcp', version: '0.0.1' }];
    await writeJobFile(emulatorClient(emulator.url), remote, 'job-8', 'job.json', {
      format: 'mlops-vertex-job/1',
      jobId: 'job-8',
      createdAt: new Date().toISOString(),
      config: submitted,
      data: {},
      request: {},
    });
    const run = { id: '20261126-061500-ab12', dir: join(dir, '.mlops/runs/x'), resumed: false };
    await expect(
      pipeline.hooks.runStart.promise({
        run,
        config: pipeline.config,
        stages: ['data'],
      } as unknown as RunStartEvent),
    ).rejects.toThrow(
      /plugins: .*"0\.0\.1".* submitted, .* in the image; train\.epochs: 30 submitted, 3 in the image/,
    );
    const result = JSON.parse(
      (await readDirect(emulator.directUrl, 'plugin-bucket', 'proj/jobs/job-8/result.json'))?.toString() ??
        '{}',
    );
    expect(result).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/train\.epochs: 30 submitted, 3 in the image/),
    });
    await cleanup();
  });
});
