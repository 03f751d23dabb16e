import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataAdd, LocalArtifactStore, LocalModelRegistry } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest } from '../src/deploy/cloud-run-service.js';
import { GcsArtifactStore } from '../src/gcs/gcs-artifact-store.js';
import { GcsModelRegistry } from '../src/registry/gcs-model-registry.js';
import type { VertexCustomJob } from '../src/vertex/custom-job.js';
import { writeJobFile } from '../src/vertex/job-files.js';
import { type FakeGoogleApi, startFakeGoogleApi } from './fake-google-api.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';
import { emulatorClient, readDirect, tempDir } from './helpers.js';
import { gcpProject } from './project.js';

const golden = (name: string) => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
const tokens = { getAccessToken: async () => 'test-token' };
const remote = 'gs://acme-ml-models/mlops';
const flags = {
  image: 'us-docker.pkg.dev/acme-ml/mlops/train:4f2a9c1',
  project: 'acme-ml',
  region: 'us-central1',
  machineType: 'n1-standard-8',
  accelerator: 'NVIDIA_TESLA_V100',
  acceleratorCount: '1',
  jobId: '20261126-061500-ab12',
};

let api: FakeGoogleApi;
let emulator: GcsEmulator;
beforeAll(async () => {
  [api, emulator] = await Promise.all([startFakeGoogleApi(), startGcsEmulator()]);
});
afterAll(async () => {
  await Promise.all([api?.stop(), emulator?.stop()]);
});

async function project(dir: string) {
  return gcpProject(
    dir,
    {
      tokens,
      apiEndpoint: emulator.url,
      endpoints: { vertex: `${api.url}/v1` },
      pollIntervalMs: 5,
      apiRetry: { baseDelayMs: 5 },
    },
    {
      store: { path: '.mlops', remote },
      registry: {
        model: 'shoes',
        aliases: ['latest'],
        promoteTo: 'preproduction',
        gate: { metric: 'top1', mode: 'max' },
      },
    },
  );
}

async function withDataset(dir: string): Promise<string> {
  await mkdir(join(dir, 'data/train/cat'), { recursive: true });
  await writeFile(join(dir, 'data/train/cat/1.png'), 'cat');
  const added = await dataAdd(join(dir, 'data'), { store: new LocalArtifactStore(join(dir, '.mlops')) });
  return added.manifestPath;
}

describe('mlops vertex train', () => {
  it('--dry-run prints the documented Vertex AI CustomJob request (golden)', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    await withDataset(dir);
    const out = (await command('vertex train', [], {
      ...flags,
      data: 'data.mlops-data.json',
      dryRun: true,
    })) as {
      request: ApiRequest<VertexCustomJob>;
    };
    const printed = JSON.parse(
      JSON.stringify(out.request).replaceAll(api.url, 'https://us-central1-aiplatform.googleapis.com'),
    );
    if (process.env.UPDATE_GOLDEN)
      await writeFile(golden('vertex-custom-job.json'), `${JSON.stringify(printed, null, 2)}\n`);
    expect(printed).toEqual(JSON.parse(await readFile(golden('vertex-custom-job.json'), 'utf8')));
    expect(api.requests).toHaveLength(0);
    await cleanup();
  });

  it('pushes the data, packages the run, follows the job and registers its model locally', async () => {
    const { dir, cleanup } = await tempDir();
    const { command, log } = await project(dir);
    const manifest = await withDataset(dir);
    const storage = emulatorClient(emulator.url);
    const jobName = 'projects/123456/locations/us-central1/customJobs/987';
    // What the remote `mlops run` does while the job runs: store a model in the bucket, register
    // it in the bucket registry, write result.json.
    const remoteRun = async () => {
      const { dir: jobDir, cleanup: done } = await tempDir();
      const store = new GcsArtifactStore({
        url: remote,
        storage,
        cache: new LocalArtifactStore(join(jobDir, '.mlops')),
      });
      const model = await store.putBytes(Buffer.from('{"modelTopology":{}}'), { name: 'model.json' });
      const registry = new GcsModelRegistry({ url: remote, storage });
      const v = await registry.register({
        model: 'shoes',
        artifacts: { tfjs: model },
        metrics: { top1: 0.91 },
        lineage: { runId: 'run-remote-1', dataVersion: 'd'.repeat(64), gitSha: 'abc123' },
        metadata: { labels: ['cat'] },
      });
      await writeJobFile(storage, remote, flags.jobId, 'result.json', {
        format: 'mlops-vertex-result/1',
        jobId: flags.jobId,
        status: 'succeeded',
        runId: 'run-remote-1',
        registered: { model: 'shoes', version: v.version, aliases: [] },
        metrics: { top1: 0.91 },
      });
      await done();
    };
    api.on('POST', '/v1/projects/acme-ml/locations/us-central1/customJobs', [
      { body: { name: jobName, state: 'JOB_STATE_QUEUED' } },
    ]);
    api.on('GET', `/v1/${jobName}`, [
      { body: { name: jobName, state: 'JOB_STATE_PENDING' } },
      { status: 503, body: { error: { code: 503, message: 'busy' } } },
      { body: { name: jobName, state: 'JOB_STATE_RUNNING' }, before: remoteRun },
      { body: { name: jobName, state: 'JOB_STATE_SUCCEEDED' } },
    ]);
    const result = (await command('vertex train', [], { ...flags, data: 'data.mlops-data.json' })) as Record<
      string,
      unknown
    >;
    expect(result).toMatchObject({
      jobId: flags.jobId,
      job: jobName,
      state: 'JOB_STATE_SUCCEEDED',
      runId: 'run-remote-1',
      registered: { model: 'shoes', version: 1, aliases: ['latest', 'preproduction'] },
    });
    // States were streamed.
    expect(log.info.filter((l) => l.startsWith(jobName)).map((l) => l.split(': ')[1])).toEqual([
      'QUEUED',
      'PENDING',
      'RUNNING',
      'SUCCEEDED',
    ]);
    // The submitted body is the dry-run body.
    const submitted = api.requests.find((r) => r.method === 'POST');
    expect(submitted?.authorization).toBe('Bearer test-token');
    expect(submitted?.body).toEqual(
      JSON.parse(await readFile(golden('vertex-custom-job.json'), 'utf8')).body,
    );
    // The package is in the bucket: config, data version, the request.
    const pkg = JSON.parse(
      (
        await readDirect(emulator.directUrl, 'acme-ml-models', `mlops/jobs/${flags.jobId}/job.json`)
      )?.toString() ?? '{}',
    );
    const version = JSON.parse(await readFile(manifest, 'utf8')).tree;
    expect(pkg).toMatchObject({ format: 'mlops-vertex-job/1', data: { 'data.mlops-data.json': version } });
    expect(pkg.config.project).toBe('shoes');
    // The data version went up before the job started, so the job can pull it.
    expect(
      await readDirect(
        emulator.directUrl,
        'acme-ml-models',
        `mlops/objects/${version.slice(0, 2)}/${version.slice(2)}`,
      ),
    ).toBeDefined();
    // Registered locally like a local run, with its artifact fetched into the local store.
    const local = new LocalModelRegistry(join(dir, '.mlops'));
    const v1 = await local.resolve('shoes', { alias: 'preproduction' });
    expect(v1).toMatchObject({
      version: 1,
      metrics: { top1: 0.91 },
      lineage: { runId: 'run-remote-1', gitSha: 'abc123' },
    });
    expect(v1.metadata.remote).toMatchObject({ job: jobName, version: 1 });
    const model = await new LocalArtifactStore(join(dir, '.mlops')).getBytes(v1.artifacts.tfjs?.hash ?? '');
    expect(model.toString()).toBe('{"modelTopology":{}}');
    await cleanup();
  });

  it('a failed job raises its error message and where the logs are', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    const jobName = 'projects/123456/locations/us-central1/customJobs/988';
    api.on('POST', '/v1/projects/acme-ml/locations/us-central1/customJobs', [
      { body: { name: jobName, state: 'JOB_STATE_QUEUED' } },
    ]);
    api.on('GET', `/v1/${jobName}`, [
      {
        body: {
          name: jobName,
          state: 'JOB_STATE_FAILED',
          error: { code: 3, message: 'The replica workerpool0-0 exited with a non-zero status of 1.' },
        },
      },
    ]);
    await expect(command('vertex train', [], { ...flags, jobId: 'failing' })).rejects.toThrow(
      /ended FAILED: The replica workerpool0-0 exited/,
    );
    await cleanup();
  });

  it('says so when the remote run stopped before export (`mlops train --remote vertex`)', async () => {
    const { dir, cleanup } = await tempDir();
    const { command, log } = await project(dir);
    const jobName = 'projects/123456/locations/us-central1/customJobs/989';
    const jobId = 'train-only';
    api.on('POST', '/v1/projects/acme-ml/locations/us-central1/customJobs', [
      { body: { name: jobName, state: 'JOB_STATE_QUEUED' } },
    ]);
    api.on('GET', `/v1/${jobName}`, [
      {
        body: { name: jobName, state: 'JOB_STATE_SUCCEEDED' },
        before: () =>
          writeJobFile(emulatorClient(emulator.url), remote, jobId, 'result.json', {
            format: 'mlops-vertex-result/1',
            jobId,
            status: 'succeeded',
            runId: 'run-remote-2',
          }).then(() => undefined),
      },
    ]);
    const result = await command('vertex train', [], { ...flags, jobId, stages: ['train'] });
    expect(result).toMatchObject({ jobId, state: 'JOB_STATE_SUCCEEDED', registered: null });
    expect(log.warn.join('\n')).toMatch(
      /registered no model: its run run-remote-2 stopped before the export stage/,
    );
    const submitted = api.requests.filter((r) => r.method === 'POST').at(-1)?.body as VertexCustomJob;
    expect(submitted.jobSpec.workerPoolSpecs[0]?.containerSpec.args.slice(-2)).toEqual(['run', 'train']);
    await cleanup();
  });
});
