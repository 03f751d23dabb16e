import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ResolvedConfig, resolveUserConfig, silentLogger, sweep, type UserConfig } from '@mlops/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gcp } from '../src/plugin.js';
import type { VertexCustomJob } from '../src/vertex/custom-job.js';
import { writeJobFile } from '../src/vertex/job-files.js';
import { type FakeGoogleApi, startFakeGoogleApi } from './fake-google-api.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';
import { emulatorClient, tempDir } from './helpers.js';

const tokens = { getAccessToken: async () => 'test-token' };
const remote = 'gs://acme-ml-models/mlops';
const image = 'us-docker.pkg.dev/acme-ml/mlops/train:4f2a9c1';
const jobs = '/aiplatform/v1/projects/acme-ml/locations/us-central1/customJobs';

let api: FakeGoogleApi;
let emulator: GcsEmulator;
beforeAll(async () => {
  [api, emulator] = await Promise.all([startFakeGoogleApi(), startGcsEmulator()]);
});
afterAll(async () => {
  await Promise.all([api?.stop(), emulator?.stop()]);
});
afterEach(() => {
  expect(api.violations).toEqual([]);
  api.reset();
});

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

describe('mlops sweep --remote vertex', () => {
  it('runs each trial as a Vertex AI custom job, at most `concurrency` at once, with its values as --set', async () => {
    const { dir, cleanup } = await tempDir();
    await writeFile(join(dir, 'mlops.config.ts'), `export default ${JSON.stringify(fileConfig)};\n`);
    const user = {
      ...fileConfig,
      plugins: [
        gcp({
          tokens,
          apiEndpoint: emulator.url,
          endpoints: api.endpoints,
          pollIntervalMs: 5,
          apiRetry: { baseDelayMs: 5 },
          projectId: 'acme-ml',
          vertex: { image },
        }),
      ],
    } as unknown as UserConfig;
    const resolveConfig = async (overrides: readonly string[]): Promise<ResolvedConfig> =>
      (await resolveUserConfig(user, { file: join(dir, 'mlops.config.ts'), overrides })).config;

    const storage = emulatorClient(emulator.url);
    let inFlight = 0;
    let maxInFlight = 0;
    let submitted = 0;
    const bodies: VertexCustomJob[] = [];
    // Each POST creates a job whose "remote run" writes result.json with a metric of its learning rate.
    api.on(
      'POST',
      jobs,
      Array.from({ length: 4 }, () => (request) => {
        const body = request.body as VertexCustomJob;
        bodies.push(body);
        const container = body.jobSpec.workerPoolSpecs[0]?.containerSpec;
        const jobId = container?.env.find((e) => e.name === 'MLOPS_GCP_JOB')?.value as string;
        const args = container?.args ?? [];
        const lr = Number(args.find((a) => a.startsWith('train.lr='))?.slice('train.lr='.length));
        const name = `projects/123456/locations/us-central1/customJobs/${++submitted}`;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        api.on('GET', `/aiplatform/v1/${name}`, [
          { body: { name, state: 'JOB_STATE_RUNNING' }, before: () => new Promise((r) => setTimeout(r, 30)) },
          {
            body: { name, state: 'JOB_STATE_SUCCEEDED' },
            before: async () => {
              await writeJobFile(storage, remote, jobId, 'result.json', {
                format: 'mlops-vertex-result/1',
                jobId,
                status: 'succeeded',
                runId: `remote-run-${submitted}`,
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

    const result = await sweep({ resolveConfig, executor: 'vertex', logger: silentLogger });
    expect(result.sweep.executor).toBe('vertex');
    expect(result.sweep.trials.map((t) => t.status)).toEqual(Array(4).fill('succeeded'));
    expect(bodies).toHaveLength(4);
    expect(maxInFlight).toBe(2);
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
});
