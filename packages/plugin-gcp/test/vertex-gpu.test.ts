/**
 * GPU jobs on Vertex AI: a job with an accelerator and no --image runs the GPU variant of the
 * project image (CUDA 11.2 + cuDNN 8, Node 22, tfjs-node-gpu 4.22.0) on the tensorflow backend.
 * What can be checked without a GPU or the internet: the Dockerfile (golden and structure), the
 * image tag, the Cloud Build request and the CustomJob (validated by the fake against the
 * published discovery documents), and the refusal of GPUs CUDA 11.2 cannot drive.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { dataAdd, LocalArtifactStore, type MlopsPlugin, type UserConfig } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { CONTEXT_DOCKERFILE, CONTEXT_GPU_DOCKERFILE } from '../src/build/build-context.js';
import type { CloudBuild } from '../src/build/cloud-build.js';
import {
  DEFAULT_GPU_BASE_IMAGE,
  renderGpuTrainingDockerfile,
  TFJS_NODE_GPU_VERSION,
} from '../src/build/gpu-dockerfile.js';
import type { ApiRequest } from '../src/deploy/cloud-run-service.js';
import {
  checkGpuImageAccelerator,
  GPU_IMAGE_ACCELERATORS,
  KNOWN_ACCELERATORS,
} from '../src/vertex/accelerators.js';
import type { VertexCustomJob } from '../src/vertex/custom-job.js';
import { writeJobFile } from '../src/vertex/job-files.js';
import { loadDiscovery } from './discovery.js';
import { emulatorClient, readDirect, tempDir, untar, useFakeGoogleCloud } from './helpers.js';
import { gcpProject } from './project.js';

const golden = (name: string) => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
const tokens = { getAccessToken: async () => 'test-token' };
const remote = 'gs://acme-ml-models/mlops';
const repo = 'projects/acme-ml/locations/us-central1/repositories/mlops';
const jobs = '/aiplatform/v1/projects/acme-ml/locations/us-central1/customJobs';
const builds = '/cloudbuild/v1/projects/acme-ml/locations/us-central1/builds';
const flags = {
  project: 'acme-ml',
  region: 'us-central1',
  machineType: 'n1-standard-8',
  accelerator: 'NVIDIA_TESLA_T4',
  jobId: '20261126-070000-gpu1',
};
const cudaBase = 'nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04';
/** The packages the test project's config comes from (the image imports each at build time). */
const packages = ['@mlops/core', '@mlops/plugin-gcp', '@mlops/plugin-tfjs'];

/** Stands in for `tfjs()` of @mlops/plugin-tfjs: only its name matters here. */
const tfjsPlugin: MlopsPlugin = { name: '@mlops/plugin-tfjs', apply() {} };

const cloud = useFakeGoogleCloud();

/** A project that can be built: package files, config, a local source, a data version. */
async function projectFiles(dir: string): Promise<void> {
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'shoes',
      dependencies: Object.fromEntries(packages.map((p) => [p, '0.1.0'])),
    }),
  );
  await writeFile(join(dir, 'package-lock.json'), '{"lockfileVersion":3}\n');
  await writeFile(join(dir, 'mlops.config.ts'), 'export default {};\n');
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'src/labels.ts'), 'export const labels = ["cat"];\n');
  await mkdir(join(dir, 'data/train/cat'), { recursive: true });
  await writeFile(join(dir, 'data/train/cat/1.png'), 'a cat');
  await dataAdd(join(dir, 'data'), { store: new LocalArtifactStore(join(dir, '.mlops')) });
}

async function project(dir: string, user: Partial<UserConfig> = {}) {
  return gcpProject(
    dir,
    {
      tokens,
      apiEndpoint: cloud.emulator.url,
      endpoints: cloud.api.endpoints,
      pollIntervalMs: 5,
      apiRetry: { baseDelayMs: 5 },
    },
    { store: { path: '.mlops', remote }, registry: { model: 'shoes' }, plugins: [tfjsPlugin], ...user },
  );
}

/** What `--dry-run` returns. */
interface DryRun {
  image: string;
  dockerfile?: string;
  build: {
    image: string;
    variant: string;
    dockerfile: string;
    context: { sha256: string; upload: string };
    requests: ApiRequest<unknown>[];
  };
  request: ApiRequest<VertexCustomJob>;
}

/** The dry-run request with the fake's base URL and the context hash made stable, for goldens. */
function printable(request: ApiRequest<VertexCustomJob>): unknown {
  return JSON.parse(
    JSON.stringify(request)
      .replaceAll(cloud.api.endpoints.vertex, 'https://us-central1-aiplatform.googleapis.com/v1')
      .replace(/ctx-[0-9a-f]{24}/g, 'ctx-<hash>'),
  );
}

describe('GPU training on Vertex AI', () => {
  it('the GPU Dockerfile: CUDA 11.2 + cuDNN 8 runtime, Node 22, tfjs-node-gpu 4.22.0 pinned, tensorflow backend (golden)', async () => {
    const text = renderGpuTrainingDockerfile({ configFile: 'mlops.config.ts', packages });
    if (process.env.UPDATE_GOLDEN) await writeFile(golden('Dockerfile.gpu'), text);
    expect(text).toBe(await readFile(golden('Dockerfile.gpu'), 'utf8'));

    const lines = text.split('\n');
    // Node from the official Node 22 image; both build stages on NVIDIA's CUDA 11.2 cuDNN 8 runtime.
    expect(lines.filter((l) => l.startsWith('FROM '))).toEqual([
      'FROM node:22-bookworm-slim AS node',
      `FROM ${cudaBase} AS deps`,
      `FROM ${cudaBase} AS runtime`,
    ]);
    expect(DEFAULT_GPU_BASE_IMAGE).toBe(cudaBase);
    expect(text).toContain('COPY --from=node /usr/local/bin/node /usr/local/bin/node');
    // tfjs-node-gpu pinned to an exact version (no range), installed after `npm ci`, without
    // touching the project's lockfile; its libtensorflow download happens here, in Cloud Build.
    expect(TFJS_NODE_GPU_VERSION).toBe('4.22.0');
    expect(text).toMatch(
      /RUN npm ci --omit=dev --no-audit --no-fund \\\n && npm install --no-save --omit=dev --no-audit --no-fund @tensorflow\/tfjs-node-gpu@4\.22\.0 \\/,
    );
    expect(text.match(/@tensorflow\/tfjs-node-gpu@[^\s]+/g)).toEqual([
      '@tensorflow/tfjs-node-gpu@4.22.0',
      '@tensorflow/tfjs-node-gpu@4.22.0',
    ]);
    expect(text).toMatch(
      /downloads libtensorflow\n# 2\.9\.1 for GPU .* at image build time, inside\n# Cloud Build/s,
    );
    // It must load at build time, with the config's plugin packages.
    expect(text).toContain(
      `RUN node --input-type=module -e "for (const p of ['@mlops/core','@mlops/plugin-gcp','@mlops/plugin-tfjs','@tensorflow/tfjs-node-gpu']) await import(p)"`,
    );
    // The backend is tensorflow; the job runs unprivileged; the bucket is the store and registry.
    expect(lines.at(-2)).toBe(
      'CMD ["node", "node_modules/@mlops/core/bin/mlops.js", "--config", "mlops.config.ts", "--set", "train.backend=tensorflow", "run"]',
    );
    expect(text).toMatch(/\nUSER node\n/);
    expect(text).toContain('MLOPS_GCP_STORE=bucket');
    // The same tfjs release as plugin-tfjs, which allows this peer: one tfjs-core in the image.
    const tfjs = JSON.parse(
      await readFile(fileURLToPath(new URL('../../plugin-tfjs/package.json', import.meta.url)), 'utf8'),
    ) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    expect(tfjs.dependencies['@tensorflow/tfjs-core']).toBe(TFJS_NODE_GPU_VERSION);
    expect(tfjs.peerDependencies['@tensorflow/tfjs-node-gpu']).toBe(`^${TFJS_NODE_GPU_VERSION}`);
    // A base image of your own (a pinned copy) replaces both CUDA stages.
    const own = renderGpuTrainingDockerfile({ baseImage: 'europe-docker.pkg.dev/acme/base/cuda:11.2.2' });
    expect(own.split('\n').filter((l) => l.startsWith('FROM '))).toEqual([
      'FROM node:22-bookworm-slim AS node',
      'FROM europe-docker.pkg.dev/acme/base/cuda:11.2.2 AS deps',
      'FROM europe-docker.pkg.dev/acme/base/cuda:11.2.2 AS runtime',
    ]);
  });

  it('--accelerator without --image: the GPU variant (ctx-<hash>-gpu beside the CPU image), its Dockerfile and the job spec (golden)', async () => {
    const { dir, cleanup } = await tempDir();
    await projectFiles(dir);
    const { command, log } = await project(dir);
    const before = cloud.api.requests.length;
    const cpu = (await command('vertex train', [], {
      ...flags,
      accelerator: undefined,
      dryRun: true,
    })) as DryRun;
    const gpu = (await command('vertex train', [], {
      ...flags,
      data: 'data.mlops-data.json',
      dryRun: true,
    })) as DryRun;
    expect(cloud.api.requests.length).toBe(before); // a dry run sends nothing

    // One content hash, two variants: the GPU tag is the CPU tag plus -gpu, the context is shared.
    expect(cpu.image).toMatch(/^us-central1-docker\.pkg\.dev\/acme-ml\/mlops\/shoes:ctx-[0-9a-f]{24}$/);
    expect(gpu.image).toBe(`${cpu.image}-gpu`);
    expect(gpu.build.context).toEqual(cpu.build.context);
    expect(cpu.build).toMatchObject({ variant: 'cpu', dockerfile: CONTEXT_DOCKERFILE });
    expect(gpu.build).toMatchObject({ variant: 'gpu', dockerfile: CONTEXT_GPU_DOCKERFILE, image: gpu.image });
    const tag = gpu.image.split(':').at(-1);
    expect(gpu.build.requests[0]?.url).toBe(
      `${cloud.api.endpoints.artifactRegistry}/${repo}/packages/shoes/tags/${tag}`,
    );
    const build = gpu.build.requests[2] as ApiRequest<CloudBuild>;
    expect(build.body.images).toEqual([gpu.image]);
    expect(build.body.steps[0]?.args).toEqual([
      'build',
      '--tag',
      gpu.image,
      '--file',
      '.mlops-build/Dockerfile.gpu',
      '--label',
      `dev.mlops.context=${gpu.build.context.sha256}`,
      '--label',
      'dev.mlops.variant=gpu',
      '.',
    ]);
    expect(build.body.timeout).toBe('2400s'); // the CUDA base and libtensorflow are large downloads
    expect(build.body.tags).toEqual(['mlops', 'mlops-shoes', 'mlops-gpu']);
    expect((cpu.build.requests[2] as ApiRequest<CloudBuild>).body.steps[0]?.args).toContain(
      '.mlops-build/Dockerfile',
    );

    // --dry-run prints the GPU Dockerfile: in the result and, readable, in the log.
    expect(gpu.dockerfile).toBe(await readFile(golden('Dockerfile.gpu'), 'utf8'));
    expect(cpu.dockerfile).toBeUndefined();
    expect(log.info).toContain(
      `GPU image Dockerfile (.mlops-build/Dockerfile.gpu in the build context):\n${gpu.dockerfile}`,
    );

    // The job: the T4 on an n1 machine, the GPU image, `mlops run` on the tensorflow backend.
    const printed = printable(gpu.request);
    if (process.env.UPDATE_GOLDEN)
      await writeFile(golden('vertex-gpu-custom-job.json'), `${JSON.stringify(printed, null, 2)}\n`);
    expect(printed).toEqual(JSON.parse(await readFile(golden('vertex-gpu-custom-job.json'), 'utf8')));
    const pool = gpu.request.body.jobSpec.workerPoolSpecs[0];
    expect(pool?.machineSpec).toEqual({
      machineType: 'n1-standard-8',
      acceleratorType: 'NVIDIA_TESLA_T4',
      acceleratorCount: 1,
    });
    expect(pool?.containerSpec.imageUri).toBe(gpu.image);
    expect(pool?.containerSpec.args.join(' ')).toMatch(/ --set train\.backend=tensorflow run$/);
    // The CPU job keeps the config's backend.
    expect(cpu.request.body.jobSpec.workerPoolSpecs[0]?.containerSpec.args.join(' ')).not.toContain(
      'train.backend',
    );
    expect(log.warn).toEqual([]);
    await cleanup();
  });

  it('submits: builds the GPU image once (schema-checked Cloud Build request), then reuses it; the CustomJob passes the published schema', async () => {
    const { dir, cleanup } = await tempDir();
    await projectFiles(dir);
    const storage = emulatorClient(cloud.emulator.url);
    const tags = new Set<string>();
    const buildRequests: CloudBuild[] = [];
    cloud.api.on('GET', `/artifactregistry/v1/${repo}`, [{ body: { name: repo, format: 'DOCKER' } }]);
    cloud.api.on('POST', builds, [
      (request) => {
        buildRequests.push(request.body as CloudBuild);
        return {
          body: {
            name: 'projects/acme-ml/locations/us-central1/operations/gpu-1',
            metadata: {
              build: { id: 'gpu-1', status: 'QUEUED', logUrl: 'https://console.cloud.google.com/b' },
            },
          },
        };
      },
    ]);
    cloud.api.on('GET', '/cloudbuild/v1/projects/acme-ml/locations/us-central1/operations/gpu-1', [
      () => {
        const image = buildRequests.at(-1)?.images[0] as string;
        tags.add(image.split(':').at(-1) as string);
        return {
          body: {
            name: 'projects/acme-ml/locations/us-central1/operations/gpu-1',
            done: true,
            response: {
              id: 'gpu-1',
              status: 'SUCCESS',
              results: { images: [{ name: image, digest: 'sha256:9a' }] },
            },
          },
        };
      },
    ]);
    const submit = async (jobId: string, n: number) => {
      const jobName = `projects/123456/locations/us-central1/customJobs/70${n}`;
      cloud.api.on('POST', jobs, [{ body: { name: jobName, state: 'JOB_STATE_QUEUED' } }]);
      cloud.api.on('GET', `/aiplatform/v1/${jobName}`, [
        {
          body: { name: jobName, state: 'JOB_STATE_SUCCEEDED' },
          before: () =>
            writeJobFile(storage, remote, jobId, 'result.json', {
              format: 'mlops-vertex-result/1',
              jobId,
              status: 'succeeded',
              runId: `run-gpu-${n}`,
            }).then(() => undefined),
        },
      ]);
      const { command } = await project(dir);
      return (await command('vertex train', [], { ...flags, jobId, stages: ['train'] })) as Record<
        string,
        unknown
      >;
    };
    const lookups = (image: string) => {
      const tag = image.split(':').at(-1) as string;
      cloud.api.on('GET', `/artifactregistry/v1/${repo}/packages/shoes/tags/${tag}`, [
        () =>
          tags.has(tag)
            ? {
                body: {
                  name: `${repo}/packages/shoes/tags/${tag}`,
                  version: `${repo}/packages/shoes/versions/sha256:9a`,
                },
              }
            : { status: 404, body: { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } } },
      ]);
    };
    const { command: dry } = await project(dir);
    const planned = (await dry('vertex train', [], { ...flags, dryRun: true })) as DryRun;
    lookups(planned.image);
    const first = await submit('gpu-job-1', 1);
    expect(first).toMatchObject({ image: planned.image, built: true, state: 'JOB_STATE_SUCCEEDED' });
    // The build: the GPU Dockerfile of the uploaded context, pushed under the -gpu tag.
    expect(buildRequests).toHaveLength(1);
    expect(buildRequests[0]?.images).toEqual([planned.image]);
    expect(buildRequests[0]?.steps[0]?.args).toEqual(
      expect.arrayContaining(['--file', '.mlops-build/Dockerfile.gpu', '--tag', planned.image]),
    );
    const tarball = await readDirect(
      cloud.emulator.directUrl,
      'acme-ml-models',
      buildRequests[0]?.source.storageSource.object as string,
    );
    const files = untar(gunzipSync(tarball as Buffer));
    expect(files.get(CONTEXT_GPU_DOCKERFILE)).toBe(planned.dockerfile);
    expect(files.get(CONTEXT_DOCKERFILE)).toMatch(/^FROM node:22-bookworm-slim AS deps$/m);
    // The CustomJob as submitted (the fake validated it against aiplatform v1): the planned one.
    const submitted = cloud.api.requests.filter(
      (r) => r.methodId === 'aiplatform.projects.locations.customJobs.create',
    );
    const body = submitted.at(-1)?.body as VertexCustomJob;
    expect(body.jobSpec.workerPoolSpecs[0]?.machineSpec).toEqual({
      machineType: 'n1-standard-8',
      acceleratorType: 'NVIDIA_TESLA_T4',
      acceleratorCount: 1,
    });
    expect(body.jobSpec.workerPoolSpecs[0]?.containerSpec.imageUri).toBe(planned.image);
    expect(body.jobSpec.workerPoolSpecs[0]?.containerSpec.args.slice(-4)).toEqual([
      '--set',
      'train.backend=tensorflow',
      'run',
      'train',
    ]);
    // The job package names the override, so the job's config check expects it.
    const pkg = JSON.parse(
      (
        await readDirect(cloud.emulator.directUrl, 'acme-ml-models', 'mlops/jobs/gpu-job-1/job.json')
      )?.toString() ?? '{}',
    );
    expect(pkg).toMatchObject({ image: planned.image, remoteOverrides: ['train.backend=tensorflow'] });

    // Unchanged project: the GPU image is reused, nothing is built.
    const second = await submit('gpu-job-2', 2);
    expect(second).toMatchObject({ image: planned.image, built: false });
    expect(buildRequests).toHaveLength(1);
    await cleanup();
  });

  it('refuses GPUs CUDA 11.2 cannot drive, naming the supported ones and why; --image is yours to choose', async () => {
    const { dir, cleanup } = await tempDir();
    await projectFiles(dir);
    const { command } = await project(dir);
    const before = cloud.api.requests.length;
    const dry = (over: Record<string, unknown>) =>
      command('vertex train', [], { ...flags, dryRun: true, ...over });
    const refusals: [string, string, RegExp][] = [
      [
        'NVIDIA_L4',
        'g2-standard-8',
        /an L4 \(Ada Lovelace, compute capability 8\.9\) needs CUDA 11\.8 or later/,
      ],
      ['NVIDIA_H100_80GB', 'a3-highgpu-1g', /an H100 \(Hopper, compute capability 9\.0\) needs CUDA 11\.8/],
      ['NVIDIA_H200_141GB', 'a3-ultragpu-8g', /Hopper, compute capability 9\.0/],
      ['NVIDIA_B200', 'a4-highgpu-8g', /Blackwell, compute capability 10\.0\) needs CUDA 12\.8/],
      ['NVIDIA_TESLA_K80', 'n1-standard-8', /Google Cloud ended support for the K80/],
      ['TPU_V5_LITEPOD', 'ct5lp-hightpu-1t', /a TPU is not a CUDA device/],
    ];
    for (const [accelerator, machineType, why] of refusals) {
      const error = (await dry({ accelerator, machineType }).catch((e: unknown) => e)) as Error & {
        hint?: string;
      };
      expect(error.message).toMatch(
        new RegExp(
          `^${accelerator} cannot run the GPU training image: it is CUDA 11\\.2 \\+ cuDNN 8, what @tensorflow/tfjs-node-gpu 4\\.22 \\(libtensorflow 2\\.9\\.1\\) is built for, and `,
        ),
      );
      expect(error.message).toMatch(why);
      expect(error.hint).toBe(
        'Use an accelerator CUDA 11.2 supports: NVIDIA_TESLA_T4 (n1-standard-8), NVIDIA_TESLA_V100 (n1-standard-8), NVIDIA_TESLA_P100 (n1-standard-8), NVIDIA_TESLA_P4 (n1-standard-8), NVIDIA_TESLA_A100 (a2-highgpu-1g), NVIDIA_A100_80GB (a2-ultragpu-1g); or bring an image built for this GPU with --image.',
      );
    }
    // The machine checks still apply to the GPU image's accelerators.
    await expect(dry({ accelerator: 'NVIDIA_TESLA_T4', machineType: 'a2-highgpu-1g' })).rejects.toThrow(
      /a T4 needs an n1 machine/,
    );
    await expect(dry({ accelerator: 'NVIDIA_TESLA_P4', acceleratorCount: '8' })).rejects.toThrow(
      /n1-standard-8 takes 1, 2, 4 × NVIDIA_TESLA_P4, not 8/,
    );
    await expect(dry({ accelerator: 'NVIDIA_GTX_1080' })).rejects.toThrow(/unknown accelerator type/);
    // An A100 on its a2 machine is fine.
    const a100 = (await dry({ accelerator: 'NVIDIA_TESLA_A100', machineType: 'a2-highgpu-1g' })) as DryRun;
    expect(a100.image).toMatch(/:ctx-[0-9a-f]{24}-gpu$/);
    expect(a100.request.body.jobSpec.workerPoolSpecs[0]?.machineSpec).toEqual({
      machineType: 'a2-highgpu-1g',
      acceleratorType: 'NVIDIA_TESLA_A100',
      acceleratorCount: 1,
    });
    // With --image the image is yours: any GPU the machine takes, and no backend is forced.
    const byo = (await dry({
      accelerator: 'NVIDIA_L4',
      machineType: 'g2-standard-8',
      image: 'us-docker.pkg.dev/acme-ml/mlops/train-cuda12:1',
    })) as DryRun;
    expect(byo.image).toBe('us-docker.pkg.dev/acme-ml/mlops/train-cuda12:1');
    expect(byo.dockerfile).toBeUndefined();
    expect(byo.request.body.jobSpec.workerPoolSpecs[0]?.containerSpec.args).not.toContain(
      'train.backend=tensorflow',
    );
    expect(cloud.api.requests.length).toBe(before);
    await cleanup();
  });

  it('every Vertex AI accelerator is either one the GPU image drives or refused with its reason', () => {
    const published =
      loadDiscovery('aiplatform.v1.json').schemas.GoogleCloudAiplatformV1MachineSpec?.properties
        ?.acceleratorType?.enum ?? [];
    expect(GPU_IMAGE_ACCELERATORS.filter((a) => !published.includes(a))).toEqual([]);
    for (const accelerator of KNOWN_ACCELERATORS) {
      if (GPU_IMAGE_ACCELERATORS.includes(accelerator)) {
        expect(() => checkGpuImageAccelerator(accelerator)).not.toThrow();
      } else {
        expect(() => checkGpuImageAccelerator(accelerator)).toThrow(
          /needs CUDA|K80|TPU is not a CUDA device/,
        );
      }
    }
  });

  it('the backend: kept when the config says tensorflow, overridden with a warning otherwise; one GPU is used', async () => {
    const { dir, cleanup } = await tempDir();
    await projectFiles(dir);
    const args = (out: unknown) =>
      ((out as DryRun).request.body.jobSpec.workerPoolSpecs[0]?.containerSpec.args ?? []).join(' ');

    // (The test's config is given in code, not in mlops.config.ts, so the job gets it as a --set of
    // its own, quoted; the GPU job adds none.)
    let { command, log } = await project(dir, { train: { backend: 'tensorflow' } } as Partial<UserConfig>);
    const kept = args(await command('vertex train', [], { ...flags, dryRun: true }));
    expect(kept.match(/train\.backend=\S+/g)).toEqual(['train.backend="tensorflow"']);
    expect(log.warn).toEqual([]);

    ({ command, log } = await project(dir, { train: { backend: 'wasm' } } as Partial<UserConfig>));
    expect(args(await command('vertex train', [], { ...flags, dryRun: true }))).toMatch(
      /--set train\.backend=tensorflow run$/,
    );
    expect(log.warn).toContain(
      'train.backend is "wasm" in the config; the GPU job runs with train.backend=tensorflow (tfjs-node-gpu), as the GPU image is built for it',
    );

    ({ command, log } = await project(dir));
    await command('vertex train', [], {
      ...flags,
      accelerator: 'NVIDIA_TESLA_V100',
      acceleratorCount: '2',
      dryRun: true,
    });
    expect(log.warn).toContain(
      'the job gets 2 × NVIDIA_TESLA_V100, but tfjs-node-gpu trains on one GPU: the others stay idle',
    );

    ({ command, log } = await project(dir, { plugins: [] }));
    await command('vertex train', [], { ...flags, dryRun: true });
    expect(log.warn.join('\n')).toMatch(/this config has no @mlops\/plugin-tfjs: nothing will use the GPU/);
    await cleanup();
  });
});
