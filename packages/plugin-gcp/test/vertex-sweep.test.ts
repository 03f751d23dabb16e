import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ResolvedConfig, resolveUserConfig, silentLogger, sweep, type UserConfig } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { gcp } from '../src/plugin.js';
import type { VertexCustomJob } from '../src/vertex/custom-job.js';
import { writeJobFile } from '../src/vertex/job-files.js';
import type { FakeRequest } from './fake-google-api.js';
import { emulatorClient, tempDir, useFakeGoogleCloud } from './helpers.js';

const tokens = { getAccessToken: async () => 'test-token' };
const remote = 'gs://acme-ml-models/mlops';
const image = 'us-docker.pkg.dev/acme-ml/mlops/train:4f2a9c1';
const jobs = '/aiplatform/v1/projects/acme-ml/locations/us-central1/customJobs';

const cloud = useFakeGoogleCloud();

/** The config without plugins: also written to mlops.config.ts, so the trial's `--set` are recovered from it. */
const fileConfig = {
  project: 'shoes',
  store: { path: '.mlops', remote },
  registry: { model: 'shoes' },
  sweep: {
    method: 'random',
    metric: { name: 'val/top1', goal: 'maximize' },
    parameters: { 'train.lr': { distribution: 'log_uniform_values', min: 1e-4, max: 1e-1 } },
    maxTrials: 4,
    concurrency: 2,
  },
} as const;

/**
 * Vertex AI answering `count` job submissions: each job runs a while, then its "remote run" writes
 * result.json with a metric of the learning rate its --set gave it.
 */
function fakeVertexJobs(count: number): { bodies: VertexCustomJob[]; maxInFlight: () => number } {
  const storage = emulatorClient(cloud.emulator.url);
  let inFlight = 0;
  let maxInFlight = 0;
  let submitted = 0;
  const bodies: VertexCustomJob[] = [];
  cloud.api.on(
    'POST',
    jobs,
    Array.from({ length: count }, () => (request: FakeRequest) => {
      const body = request.body as VertexCustomJob;
      bodies.push(body);
      const container = body.jobSpec.workerPoolSpecs[0]?.containerSpec;
      const jobId = container?.env.find((e) => e.name === 'MLOPS_GCP_JOB')?.value as string;
      const args = container?.args ?? [];
      const lr = Number(args.find((a) => a.startsWith('train.lr='))?.slice('train.lr='.length));
      const name = `projects/123456/locations/us-central1/customJobs/${++submitted}`;
      const runId = `remote-run-${submitted}`;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      cloud.api.on('GET', `/aiplatform/v1/${name}`, [
        { body: { name, state: 'JOB_STATE_RUNNING' }, before: () => new Promise((r) => setTimeout(r, 30)) },
        {
          body: { name, state: 'JOB_STATE_SUCCEEDED' },
          before: async () => {
            await writeJobFile(storage, remote, jobId, 'result.json', {
              format: 'mlops-vertex-result/1',
              jobId,
              status: 'succeeded',
              runId,
              metrics: { top1: 0 },
              runMetrics: { 'val/top1': 1 - Math.abs(Math.log10(lr) + 2.5) / 10 },
              verified: { data: {}, config: true },
            });
            inFlight -= 1;
          },
        },
      ]);
      return { body: { name, state: 'JOB_STATE_QUEUED' } };
    }),
  );
  return { bodies, maxInFlight: () => maxInFlight };
}

describe('mlops sweep --remote vertex', () => {
  it('runs each trial as a Vertex AI custom job, at most `concurrency` at once, with its values as --set', async () => {
    const { dir, cleanup } = await tempDir();
    await writeFile(join(dir, 'mlops.config.ts'), `export default ${JSON.stringify(fileConfig)};\n`);
    const user = {
      ...fileConfig,
      plugins: [
        gcp({
          tokens,
          apiEndpoint: cloud.emulator.url,
          endpoints: cloud.api.endpoints,
          pollIntervalMs: 5,
          apiRetry: { baseDelayMs: 5 },
          projectId: 'acme-ml',
          vertex: { image },
        }),
      ],
    } as unknown as UserConfig;
    const resolveConfig = async (overrides: readonly string[]): Promise<ResolvedConfig> =>
      (await resolveUserConfig(user, { file: join(dir, 'mlops.config.ts'), overrides })).config;

    const { bodies, maxInFlight } = fakeVertexJobs(4);

    const result = await sweep({ resolveConfig, executor: 'vertex', logger: silentLogger });
    expect(result.sweep.executor).toBe('vertex');
    expect(result.sweep.trials.map((t) => t.status)).toEqual(Array(4).fill('succeeded'));
    expect(bodies).toHaveLength(4);
    expect(maxInFlight()).toBe(2);
    for (const trial of result.sweep.trials) {
      // The job ran the trial's config: its value is a --set of the remote `mlops run`, up to evaluate.
      const body = bodies.find((b) =>
        b.jobSpec.workerPoolSpecs[0]?.containerSpec.args.includes(trial.overrides[0] as string),
      );
      expect(body, `a job for ${trial.overrides[0]}`).toBeDefined();
      const args = body?.jobSpec.workerPoolSpecs[0]?.containerSpec.args ?? [];
      expect(args.slice(args.indexOf('run'))).toEqual(['run', 'data', 'model', 'train', 'evaluate']);
      expect(body?.jobSpec.workerPoolSpecs[0]?.containerSpec.imageUri).toBe(image);
      expect(trial.executor).toMatchObject({ job: expect.stringMatching(/customJobs\/\d$/) });
      expect(trial.runId).toMatch(/^remote-run-\d$/);
      const lr = trial.params['train.lr'] as number;
      expect(trial.value).toBeCloseTo(1 - Math.abs(Math.log10(lr) + 2.5) / 10, 9);
    }
    await cleanup();
  });

  it('without vertex.image: builds the project image once, before the first trial, and every trial runs it', async () => {
    const { dir, cleanup } = await tempDir();
    await writeFile(join(dir, 'mlops.config.ts'), `export default ${JSON.stringify(fileConfig)};\n`);
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'shoes',
        dependencies: { '@mlops/core': '0.1.0', '@mlops/plugin-gcp': '0.1.0' },
      }),
    );
    await writeFile(join(dir, 'package-lock.json'), '{"lockfileVersion":3}\n');
    const user = {
      ...fileConfig,
      plugins: [
        gcp({
          tokens,
          apiEndpoint: cloud.emulator.url,
          endpoints: cloud.api.endpoints,
          pollIntervalMs: 5,
          apiRetry: { baseDelayMs: 5 },
          projectId: 'acme-ml',
        }),
      ],
    } as unknown as UserConfig;
    const resolveConfig = async (overrides: readonly string[]): Promise<ResolvedConfig> =>
      (await resolveUserConfig(user, { file: join(dir, 'mlops.config.ts'), overrides })).config;

    // Artifact Registry has the repository and, once a build succeeded, the image's tag (until
    // then the fake answers 404: no such tag); Cloud Build builds what it is asked to.
    const repo = 'projects/acme-ml/locations/us-central1/repositories/mlops';
    cloud.api.on('GET', `/artifactregistry/v1/${repo}`, [{ body: { name: repo, format: 'DOCKER' } }]);
    const builds: FakeRequest[] = [];
    const builtImage = () =>
      ((builds.at(-1)?.body ?? { images: [] }) as { images: string[] }).images[0] as string;
    cloud.api.on('POST', '/cloudbuild/v1/projects/acme-ml/locations/us-central1/builds', [
      (request) => {
        builds.push(request);
        const id = `build-${builds.length}`;
        const operation = `projects/acme-ml/locations/us-central1/operations/${id}`;
        cloud.api.on('GET', `/cloudbuild/v1/${operation}`, [
          { body: { name: operation, done: false, metadata: { build: { id, status: 'WORKING' } } } },
          () => {
            const tag = builtImage().split(':').at(-1) as string;
            cloud.api.on('GET', `/artifactregistry/v1/${repo}/packages/shoes/tags/${tag}`, [
              {
                body: {
                  name: `${repo}/packages/shoes/tags/${tag}`,
                  version: `${repo}/packages/shoes/versions/sha256:abc123`,
                },
              },
            ]);
            return {
              body: {
                name: operation,
                done: true,
                response: {
                  id,
                  status: 'SUCCESS',
                  results: { images: [{ name: builtImage(), digest: 'sha256:abc123' }] },
                },
              },
            };
          },
        ]);
        return {
          body: {
            name: operation,
            metadata: {
              '@type': 'type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata',
              build: {
                id,
                status: 'QUEUED',
                logUrl: `https://console.cloud.google.com/cloud-build/builds/${id}`,
              },
            },
          },
        };
      },
    ]);
    const { bodies } = fakeVertexJobs(4);
    const earlier = cloud.api.requests.length;

    const result = await sweep({ resolveConfig, executor: 'vertex', logger: silentLogger });
    expect(result.sweep.trials.map((t) => t.status)).toEqual(Array(4).fill('succeeded'));
    // One build for the four trials, before the first job was submitted.
    expect(builds).toHaveLength(1);
    const image = builtImage();
    expect(image).toMatch(/^us-central1-docker\.pkg\.dev\/acme-ml\/mlops\/shoes:ctx-[0-9a-f]{24}$/);
    const requests = cloud.api.requests.slice(earlier);
    const order = requests.map((r) => r.methodId);
    expect(order.indexOf('cloudbuild.projects.locations.builds.create')).toBeLessThan(
      order.indexOf('aiplatform.projects.locations.customJobs.create'),
    );
    // Every trial looked the image up by its content-hash tag, found it, and its job runs it.
    const tagLookups = requests.filter((r) => r.url.includes(`/packages/shoes/tags/${image.split(':')[1]}`));
    expect(tagLookups).toHaveLength(1 + 4);
    expect(bodies).toHaveLength(4);
    expect(bodies.map((b) => b.jobSpec.workerPoolSpecs[0]?.containerSpec.imageUri)).toEqual(
      Array(4).fill(image),
    );
    await cleanup();
  });
});
