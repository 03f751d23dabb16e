import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataAdd, LocalArtifactStore, LocalModelRegistry } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../src/deploy/cloud-run-service.js';
import { GcsArtifactStore } from '../src/gcs/gcs-artifact-store.js';
import { GoogleApiClient } from '../src/google-api/google-api-client.js';
import { GcsModelRegistry } from '../src/registry/gcs-model-registry.js';
import type { VertexCustomJob } from '../src/vertex/custom-job.js';
import { parseJobSecrets, resolveJobSecrets, runJobEntry } from '../src/vertex/job-entry.js';
import { writeJobFile } from '../src/vertex/job-files.js';
import { runVertexJob } from '../src/vertex/run-vertex-job.js';
import { emulatorClient, readDirect, tempDir, useFakeGoogleCloud } from './helpers.js';
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

const cloud = useFakeGoogleCloud();
const jobs = '/aiplatform/v1/projects/acme-ml/locations/us-central1/customJobs';

async function project(dir: string) {
  return gcpProject(
    dir,
    {
      tokens,
      apiEndpoint: cloud.emulator.url,
      endpoints: cloud.api.endpoints,
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
      JSON.stringify(out.request).replaceAll(
        cloud.api.endpoints.vertex,
        'https://us-central1-aiplatform.googleapis.com/v1',
      ),
    );
    if (process.env.UPDATE_GOLDEN)
      await writeFile(golden('vertex-custom-job.json'), `${JSON.stringify(printed, null, 2)}\n`);
    expect(printed).toEqual(JSON.parse(await readFile(golden('vertex-custom-job.json'), 'utf8')));
    expect(cloud.api.requests).toHaveLength(0);
    await cleanup();
  });

  it('pushes the data, packages the run, follows the job and registers its model locally', async () => {
    const { dir, cleanup } = await tempDir();
    const { command, log } = await project(dir);
    const manifest = await withDataset(dir);
    const storage = emulatorClient(cloud.emulator.url);
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
        verified: { data: {}, gitSha: 'abc123', config: true },
      });
      await done();
    };
    cloud.api.on('POST', jobs, [{ body: { name: jobName, state: 'JOB_STATE_QUEUED' } }]);
    cloud.api.on('GET', `/aiplatform/v1/${jobName}`, [
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
    // The console page and the logs were printed at submission.
    expect(log.info).toContain(
      'console: https://console.cloud.google.com/vertex-ai/locations/us-central1/training/987/cpu?project=acme-ml',
    );
    expect(log.info.find((l) => l.startsWith('logs: '))).toContain(
      encodeURIComponent('resource.labels.job_id="987"'),
    );
    // States were streamed.
    expect(log.info.filter((l) => l.startsWith(jobName)).map((l) => l.split(': ')[1])).toEqual([
      'QUEUED',
      'PENDING',
      'RUNNING',
      'SUCCEEDED',
    ]);
    // The submitted body is the dry-run body.
    const submitted = cloud.api.requests.find((r) => r.method === 'POST');
    expect(submitted?.authorization).toBe('Bearer test-token');
    expect(submitted?.body).toEqual(
      JSON.parse(await readFile(golden('vertex-custom-job.json'), 'utf8')).body,
    );
    // The package is in the bucket: config, data version, the request.
    const pkg = JSON.parse(
      (
        await readDirect(cloud.emulator.directUrl, 'acme-ml-models', `mlops/jobs/${flags.jobId}/job.json`)
      )?.toString() ?? '{}',
    );
    const version = JSON.parse(await readFile(manifest, 'utf8')).tree;
    expect(pkg).toMatchObject({
      format: 'mlops-vertex-job/1',
      data: { 'data.mlops-data.json': version },
      image: flags.image,
    });
    // The manifest itself is in the bucket, so the job restores exactly this version.
    const manifestHash = pkg.manifests['data.mlops-data.json'] as string;
    expect(
      (
        await readDirect(
          cloud.emulator.directUrl,
          'acme-ml-models',
          `mlops/objects/${manifestHash.slice(0, 2)}/${manifestHash.slice(2)}`,
        )
      )?.toString(),
    ).toBe(await readFile(manifest, 'utf8'));
    expect(pkg.config.project).toBe('shoes');
    // The data version went up before the job started, so the job can pull it.
    expect(
      await readDirect(
        cloud.emulator.directUrl,
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
    cloud.api.on('POST', jobs, [{ body: { name: jobName, state: 'JOB_STATE_QUEUED' } }]);
    cloud.api.on('GET', `/aiplatform/v1/${jobName}`, [
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
    cloud.api.on('POST', jobs, [{ body: { name: jobName, state: 'JOB_STATE_QUEUED' } }]);
    cloud.api.on('GET', `/aiplatform/v1/${jobName}`, [
      {
        body: { name: jobName, state: 'JOB_STATE_SUCCEEDED' },
        before: () =>
          writeJobFile(emulatorClient(cloud.emulator.url), remote, jobId, 'result.json', {
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
    const submitted = cloud.api.requests.filter((r) => r.method === 'POST').at(-1)?.body as VertexCustomJob;
    expect(submitted.jobSpec.workerPoolSpecs[0]?.containerSpec.args.slice(-2)).toEqual(['run', 'train']);
    await cleanup();
  });

  it('checks machine type and accelerator before sending anything', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    const before = cloud.api.requests.length;
    const dry = (over: Record<string, unknown>) =>
      command('vertex train', [], { ...flags, dryRun: true, ...over });
    await expect(dry({ accelerator: 'NVIDIA_L4', machineType: 'n1-standard-8' })).rejects.toThrow(
      /NVIDIA_L4 does not fit machine type n1-standard-8: an L4 needs a g2 machine/,
    );
    await expect(dry({ accelerator: 'NVIDIA_TESLA_V100', machineType: 'g2-standard-8' })).rejects.toThrow(
      /a V100 needs an n1 machine/,
    );
    await expect(dry({ accelerator: 'NVIDIA_TESLA_A100', machineType: 'n1-standard-8' })).rejects.toThrow(
      /an A100 \(40 GB\) needs an a2 machine/,
    );
    await expect(
      dry({ accelerator: 'NVIDIA_TESLA_A100', machineType: 'a2-highgpu-2g', acceleratorCount: '1' }),
    ).rejects.toThrow(/a2-highgpu-2g takes 2 × NVIDIA_TESLA_A100, not 1/);
    await expect(dry({ accelerator: undefined, machineType: 'g2-standard-8' })).rejects.toThrow(
      /g2-standard-8 comes with accelerators/,
    );
    await expect(dry({ accelerator: 'NVIDIA_TESLA_V100', acceleratorCount: '3' })).rejects.toThrow(
      /n1-standard-8 takes 1, 2, 4, 8 × NVIDIA_TESLA_V100, not 3/,
    );
    await expect(dry({ accelerator: 'NVIDIA_GTX_1080' })).rejects.toThrow(/unknown accelerator type/);
    // The machine type fixes the count where it can.
    const out = (await dry({
      accelerator: 'NVIDIA_L4',
      machineType: 'g2-standard-48',
      acceleratorCount: undefined,
    })) as {
      request: ApiRequest<VertexCustomJob>;
    };
    expect(out.request.body.jobSpec.workerPoolSpecs[0]?.machineSpec).toEqual({
      machineType: 'g2-standard-48',
      acceleratorType: 'NVIDIA_L4',
      acceleratorCount: 4,
    });
    expect(cloud.api.requests.length).toBe(before);
    await cleanup();
  });

  it('every accelerator the check knows is in the published MachineSpec.acceleratorType enum', async () => {
    const { KNOWN_ACCELERATORS } = await import('../src/vertex/accelerators.js');
    const { loadDiscovery } = await import('./discovery.js');
    const schema = loadDiscovery('aiplatform.v1.json').schemas.GoogleCloudAiplatformV1MachineSpec;
    const published = schema?.properties?.acceleratorType?.enum ?? [];
    expect(KNOWN_ACCELERATORS.filter((a) => !published.includes(a))).toEqual([]);
  });

  it('env, secrets, timeout and service account: in the request, secrets checked, never their values', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    await expect(
      command('vertex train', [], { ...flags, dryRun: true, env: 'HF_TOKEN=hf_abc' }),
    ).rejects.toThrow(/HF_TOKEN looks like a credential/);
    const out = (await command('vertex train', [], {
      ...flags,
      dryRun: true,
      env: ['TF_CPP_MIN_LOG_LEVEL=2', 'MLOPS_LOG=debug'],
      secret: 'WANDB_API_KEY=wandb-api-key:2',
      timeout: '6h',
      serviceAccount: 'trainer@acme-ml.iam.gserviceaccount.com',
    })) as { request: ApiRequest<VertexCustomJob> };
    const job = out.request.body;
    const env = Object.fromEntries(
      job.jobSpec.workerPoolSpecs[0]?.containerSpec.env.map((e) => [e.name, e.value]) ?? [],
    );
    expect(env).toMatchObject({
      TF_CPP_MIN_LOG_LEVEL: '2',
      MLOPS_LOG: 'debug',
      MLOPS_GCP_SECRETS: 'WANDB_API_KEY=projects/acme-ml/secrets/wandb-api-key/versions/2',
    });
    expect(env.WANDB_API_KEY).toBeUndefined();
    expect(job.jobSpec.scheduling).toEqual({ timeout: '21600s' });
    expect(job.jobSpec.serviceAccount).toBe('trainer@acme-ml.iam.gserviceaccount.com');
    expect(job.jobSpec.workerPoolSpecs[0]?.containerSpec.command).toEqual([
      'node',
      'node_modules/@mlops/plugin-gcp/dist/job-main.js',
    ]);
    await expect(command('vertex train', [], { ...flags, dryRun: true, timeout: 'soon' })).rejects.toThrow(
      /--timeout expects a duration/,
    );
    await cleanup();
  });

  it('the job entry reads the secrets from Secret Manager into the env of `mlops` and exits with its code', async () => {
    const { dir, cleanup } = await tempDir();
    expect(
      parseJobSecrets('A=projects/p/secrets/a/versions/latest,B=projects/p/secrets/b/versions/3'),
    ).toEqual([
      { env: 'A', version: 'projects/p/secrets/a/versions/latest' },
      { env: 'B', version: 'projects/p/secrets/b/versions/3' },
    ]);
    expect(() => parseJobSecrets('A=wandb')).toThrow(/not ENV=projects/);
    cloud.api.on('GET', '/secretmanager/v1/projects/acme-ml/secrets/wandb-api-key/versions/2:access', [
      {
        body: {
          name: 'projects/123/secrets/wandb-api-key/versions/2',
          payload: { data: Buffer.from('local-0123456789').toString('base64') },
        },
      },
    ]);
    const client = new GoogleApiClient({ tokens, retry: { baseDelayMs: 5 } });
    const secrets = parseJobSecrets('WANDB_API_KEY=projects/acme-ml/secrets/wandb-api-key/versions/2');
    expect(await resolveJobSecrets(client, secrets, cloud.api.endpoints.secretManager)).toEqual({
      WANDB_API_KEY: 'local-0123456789',
    });
    const cli = join(dir, 'cli.mjs');
    await writeFile(
      cli,
      "import { writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[2], JSON.stringify({ key: process.env.WANDB_API_KEY, list: process.env.MLOPS_GCP_SECRETS ?? null, args: process.argv.slice(3) }));\nprocess.exit(3);\n",
    );
    const out = join(dir, 'out.json');
    process.env.MLOPS_GCP_SECRETS = 'WANDB_API_KEY=projects/acme-ml/secrets/wandb-api-key/versions/2';
    try {
      const code = await runJobEntry([out, 'run', 'train'], {
        client,
        secretManager: cloud.api.endpoints.secretManager,
        cli,
      });
      expect(code).toBe(3);
    } finally {
      delete process.env.MLOPS_GCP_SECRETS;
    }
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({
      key: 'local-0123456789',
      list: null,
      args: ['run', 'train'],
    });
    await cleanup();
  });

  it('cancels the job when interrupted, and waits until Vertex AI says it is cancelled', async () => {
    const jobName = 'projects/123456/locations/us-central1/customJobs/990';
    const controller = new AbortController();
    cloud.api.on('POST', jobs, [{ body: { name: jobName, state: 'JOB_STATE_PENDING' } }]);
    cloud.api.on('GET', `/aiplatform/v1/${jobName}`, [
      { body: { name: jobName, state: 'JOB_STATE_RUNNING' }, before: async () => controller.abort() },
      { body: { name: jobName, state: 'JOB_STATE_CANCELLING' } },
      {
        body: {
          name: jobName,
          state: 'JOB_STATE_CANCELLED',
          error: { code: 1, message: 'CANCELED' },
        },
      },
    ]);
    cloud.api.on('POST', `/aiplatform/v1/${jobName}:cancel`, [{ body: {} }]);
    const client = new GoogleApiClient({ tokens, retry: { baseDelayMs: 5 } });
    const states: string[] = [];
    const before = cloud.api.requests.length;
    const request = {
      method: 'POST' as const,
      url: `${cloud.api.endpoints.vertex}/projects/acme-ml/locations/us-central1/customJobs`,
      body: {
        displayName: 'mlops-shoes-cancel',
        labels: {},
        jobSpec: {
          workerPoolSpecs: [
            {
              machineSpec: { machineType: 'n1-standard-4' },
              replicaCount: '1',
              diskSpec: { bootDiskType: 'pd-ssd', bootDiskSizeGb: 100 },
              containerSpec: { imageUri: flags.image, command: [], args: [], env: [] },
            },
          ],
          scheduling: { timeout: '60s' },
        },
      },
    };
    await expect(
      runVertexJob(client, request, {
        baseUrl: cloud.api.endpoints.vertex,
        pollIntervalMs: 5,
        signal: controller.signal,
        onState: (state) => states.push(state),
      }),
    ).rejects.toThrow(/was cancelled at your request \(CANCELLED\)/);
    expect(states).toEqual([
      'JOB_STATE_PENDING',
      'JOB_STATE_RUNNING',
      'JOB_STATE_CANCELLING',
      'JOB_STATE_CANCELLED',
    ]);
    expect(cloud.api.requests.slice(before).map((r) => r.methodId)).toEqual([
      'aiplatform.projects.locations.customJobs.create',
      'aiplatform.projects.locations.customJobs.get',
      'aiplatform.projects.locations.customJobs.cancel',
      'aiplatform.projects.locations.customJobs.get',
      'aiplatform.projects.locations.customJobs.get',
    ]);
  });

  it('Ctrl-C during `vertex train` aborts the wait (the command then cancels the job)', async () => {
    const { withCancelOnInterrupt } = await import('../src/commands/interrupt.js');
    const others = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      const aborted = await withCancelOnInterrupt('a test job', async (signal) => {
        (process as NodeJS.EventEmitter).emit('SIGINT', 'SIGINT');
        return signal.aborted;
      });
      expect(aborted).toBe(true);
      expect(process.listenerCount('SIGINT')).toBe(0); // removed again
    } finally {
      process.stderr.write = stderr;
      for (const listener of others.SIGINT) process.on('SIGINT', listener as NodeJS.SignalsListener);
      for (const listener of others.SIGTERM) process.on('SIGTERM', listener as NodeJS.SignalsListener);
    }
  });

  it("a job that stopped itself says why: the job's result.json error is in the message", async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    const jobName = 'projects/123456/locations/us-central1/customJobs/991';
    const jobId = 'drifted';
    cloud.api.on('POST', jobs, [{ body: { name: jobName, state: 'JOB_STATE_QUEUED' } }]);
    cloud.api.on('GET', `/aiplatform/v1/${jobName}`, [
      {
        body: {
          name: jobName,
          state: 'JOB_STATE_FAILED',
          error: { code: 3, message: 'The replica workerpool0-0 exited with a non-zero status of 1.' },
        },
        before: () =>
          writeJobFile(emulatorClient(cloud.emulator.url), remote, jobId, 'result.json', {
            format: 'mlops-vertex-result/1',
            jobId,
            status: 'failed',
            runId: 'r',
            error:
              'the config in the image is not the one submitted with job drifted: train.epochs: 30 submitted, 3 in the image',
          }).then(() => undefined),
      },
    ]);
    await expect(command('vertex train', [], { ...flags, jobId })).rejects.toThrow(
      /ended FAILED: The replica .*; the job said: the config in the image is not the one submitted/,
    );
    await cleanup();
  });
});
