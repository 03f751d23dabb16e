import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataAdd, LocalArtifactStore } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { createBuildContext } from '../src/build/build-context.js';
import { IgnoreRules, parseIgnoreFile } from '../src/build/ignore-rules.js';
import { writeTar } from '../src/build/tar.js';
import type { FakeRequest } from './fake-google-api.js';
import { emulatorClient, readDirect, tempDir, untar, useFakeGoogleCloud } from './helpers.js';
import { gcpProject } from './project.js';

const tokens = { getAccessToken: async () => 'test-token' };
const remote = 'gs://acme-ml-models/mlops';
const flags = { target: 'cloud-run', project: 'acme-ml', region: 'europe-west1', alias: 'production' };
const service = 'projects/acme-ml/locations/europe-west1/services/shoes';
const repo = 'projects/acme-ml/locations/europe-west1/repositories/mlops';

const cloud = useFakeGoogleCloud();

/** A project on disk: package files, config, local sources, a data folder and things never sent. */
async function projectFiles(dir: string): Promise<void> {
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'shoes', dependencies: { '@mlops/core': '0.1.0', '@mlops/plugin-gcp': '0.1.0' } }),
  );
  await writeFile(join(dir, 'package-lock.json'), '{"lockfileVersion":3}\n');
  await writeFile(join(dir, 'mlops.config.ts'), 'export default {};\n');
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'src/labels.ts'), 'export const labels = [];\n');
  await mkdir(join(dir, 'data/train/cat'), { recursive: true });
  await writeFile(join(dir, 'data/train/cat/1.png'), 'a cat');
  await dataAdd(join(dir, 'data'), { store: new LocalArtifactStore(join(dir, '.mlops')) });
  await mkdir(join(dir, 'node_modules/left-pad'), { recursive: true });
  await writeFile(join(dir, 'node_modules/left-pad/index.js'), '');
  await writeFile(join(dir, '.env'), 'WANDB_API_KEY=local\n');
  await writeFile(join(dir, 'debug.log'), 'noise');
  await writeFile(join(dir, 'keep.log'), 'kept');
  await writeFile(join(dir, '.gcloudignore'), '# comments are fine\n*.log\n!keep.log\n');
}

async function project(dir: string) {
  return gcpProject(
    dir,
    {
      tokens,
      apiEndpoint: cloud.emulator.url,
      endpoints: cloud.api.endpoints,
      pollIntervalMs: 5,
      apiRetry: { baseDelayMs: 5 },
      registry: 'bucket',
    },
    { store: { path: '.mlops', remote }, registry: { model: 'shoes' } },
  );
}

/**
 * Artifact Registry and Cloud Build with state: the repository appears when created, a tag exists
 * once a build of it succeeded, and a build writes its log to the bucket as it runs.
 */
function fakeRegistryAndBuild() {
  const state = { repository: false, tags: new Set<string>(), builds: [] as FakeRequest[] };
  const storage = emulatorClient(cloud.emulator.url);
  const log = (id: string, text: string) =>
    storage.bucket('acme-ml-models').file(`mlops/builds/logs/log-${id}.txt`).save(text, { resumable: false });
  cloud.api.on('GET', `/artifactregistry/v1/${repo}`, [
    () =>
      state.repository
        ? { body: { name: repo, format: 'DOCKER' } }
        : { status: 404, body: { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } } },
  ]);
  cloud.api.on('POST', '/artifactregistry/v1/projects/acme-ml/locations/europe-west1/repositories', [
    () => ({ body: { name: 'projects/acme-ml/locations/europe-west1/operations/repo-1', done: false } }),
  ]);
  cloud.api.on('GET', '/artifactregistry/v1/projects/acme-ml/locations/europe-west1/operations/repo-1', [
    () => {
      state.repository = true;
      return {
        body: {
          name: 'projects/acme-ml/locations/europe-west1/operations/repo-1',
          done: true,
          response: { name: repo },
        },
      };
    },
  ]);
  cloud.api.on('POST', '/cloudbuild/v1/projects/acme-ml/locations/europe-west1/builds', [
    async (request) => {
      state.builds.push(request);
      const id = `build-${state.builds.length}`;
      await log(id, 'Step 1/9 : FROM node:22-bookworm-slim AS deps\n');
      return {
        body: {
          name: `projects/acme-ml/locations/europe-west1/operations/${id}`,
          metadata: {
            '@type': 'type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata',
            build: {
              id,
              status: 'QUEUED',
              logUrl: `https://console.cloud.google.com/cloud-build/builds;region=europe-west1/${id}?project=123`,
            },
          },
        },
      };
    },
  ]);
  for (const id of ['build-1', 'build-2', 'build-3']) {
    const image = () =>
      ((state.builds.at(-1)?.body ?? { images: [] }) as { images: string[] }).images[0] as string;
    cloud.api.on('GET', `/cloudbuild/v1/projects/acme-ml/locations/europe-west1/operations/${id}`, [
      async () => {
        await log(id, 'Step 1/9 : FROM node:22-bookworm-slim AS deps\nStep 2/9 : WORKDIR /app\n');
        return {
          body: {
            name: `projects/acme-ml/locations/europe-west1/operations/${id}`,
            done: false,
            metadata: { build: { id, status: 'WORKING' } },
          },
        };
      },
      async () => {
        await log(
          id,
          'Step 1/9 : FROM node:22-bookworm-slim AS deps\nStep 2/9 : WORKDIR /app\nSuccessfully built 0123abcd\nDONE',
        );
        const tag = image().split(':').at(-1) as string;
        state.tags.add(tag);
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
            name: `projects/acme-ml/locations/europe-west1/operations/${id}`,
            done: true,
            response: {
              id,
              status: 'SUCCESS',
              results: { images: [{ name: image(), digest: 'sha256:abc123' }] },
            },
          },
        };
      },
    ]);
  }
  return state;
}

function fakeCloudRun() {
  const op = 'projects/acme-ml/locations/europe-west1/operations/deploy';
  cloud.api.on('GET', `/run/v2/${service}`, [
    { status: 404, body: { error: { code: 404, message: 'not found' } } },
  ]);
  cloud.api.on('PATCH', `/run/v2/${service}`, [{ body: { name: op, done: false } }]);
  cloud.api.on('GET', `/run/v2/${op}`, [
    {
      body: {
        name: op,
        done: true,
        response: {
          name: service,
          uri: 'https://shoes-abc-ew.a.run.app',
          latestReadyRevision: 'shoes-00001-abc',
          terminalCondition: { state: 'CONDITION_SUCCEEDED' },
        },
      },
    },
  ]);
}

describe('the project image, built with Cloud Build', () => {
  it('ignore rules: gitignore syntax, negation, anchoring, folders; fixed rules cannot be negated', () => {
    const { patterns, includes } = parseIgnoreFile(
      '# c\n*.log\n!keep.log\n/build\ncache/\n#!include:.gitignore\n',
    );
    expect(includes).toEqual(['.gitignore']);
    const rules = new IgnoreRules(['node_modules/', '.env'], [...patterns, '!node_modules/', '!.env']);
    expect(rules.excludes('a/b/debug.log', false)).toBe(true);
    expect(rules.excludes('keep.log', false)).toBe(false);
    expect(rules.excludes('build', true)).toBe(true);
    expect(rules.excludes('src/build', true)).toBe(false);
    expect(rules.excludes('x/cache', true)).toBe(true);
    expect(rules.excludes('x/cache', false)).toBe(false);
    expect(rules.excludes('node_modules', true)).toBe(true);
    expect(rules.excludes('.env', false)).toBe(true);
  });

  it('the context is deterministic, carries config, manifests and sources, never data, deps or credentials', async () => {
    const { dir, cleanup } = await tempDir();
    await projectFiles(dir);
    const a = await createBuildContext({
      root: dir,
      dockerfile: 'FROM scratch\n',
      exclude: ['/data/', '/.mlops/'],
    });
    const b = await createBuildContext({
      root: dir,
      dockerfile: 'FROM scratch\n',
      exclude: ['/data/', '/.mlops/'],
    });
    expect(a.hash).toBe(b.hash);
    expect(a.archive.equals(b.archive)).toBe(true);
    expect(a.tag).toBe(`ctx-${a.hash.slice(0, 24)}`);
    const files = untar(gunzipSync(a.archive));
    expect([...files.keys()].sort()).toEqual([
      '.gcloudignore',
      '.mlops-build/Dockerfile',
      'data.mlops-data.json',
      'keep.log',
      'mlops.config.ts',
      'package-lock.json',
      'package.json',
      'src/labels.ts',
    ]);
    expect(a.excluded.sort()).toEqual(['.env', '.mlops/', 'data/', 'debug.log', 'node_modules/']);
    // Any change to what is sent is a new tag; a change to what is left out is not.
    await writeFile(join(dir, 'data/train/cat/2.png'), 'another cat');
    expect(
      (await createBuildContext({ root: dir, dockerfile: 'FROM scratch\n', exclude: ['/data/', '/.mlops/'] }))
        .hash,
    ).toBe(a.hash);
    await writeFile(join(dir, 'src/labels.ts'), 'export const labels = ["cat"];\n');
    expect(
      (await createBuildContext({ root: dir, dockerfile: 'FROM scratch\n', exclude: ['/data/', '/.mlops/'] }))
        .hash,
    ).not.toBe(a.hash);
    // Long paths survive (ustar prefix, pax).
    const long = `${'deep/'.repeat(30)}file.txt`;
    expect(untar(writeTar([{ path: long, data: Buffer.from('x') }])).get(long)).toBe('x');
    await cleanup();
  });

  it('refuses a file holding a credential from the environment, and a missing lockfile', async () => {
    const { dir, cleanup } = await tempDir();
    await projectFiles(dir);
    const previous = process.env.WANDB_API_KEY;
    process.env.WANDB_API_KEY = 'wandb-0123456789abcdef';
    try {
      await writeFile(join(dir, 'notes.txt'), `key: ${process.env.WANDB_API_KEY}\n`);
      const { command } = await project(dir);
      await expect(command('deploy', [], { ...flags, dryRun: true })).rejects.toThrow(
        /notes\.txt contains the value of a credential/,
      );
    } finally {
      if (previous === undefined) delete process.env.WANDB_API_KEY;
      else process.env.WANDB_API_KEY = previous;
    }
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'package-lock.json'));
    const { command } = await project(dir);
    await expect(command('deploy', [], { ...flags, dryRun: true })).rejects.toThrow(
      /needs package-lock\.json/,
    );
    await cleanup();
  });

  it('deploy without --image: creates the repository, uploads the context, builds, streams the log; then reuses the image', async () => {
    const { dir, cleanup } = await tempDir();
    await projectFiles(dir);
    const state = fakeRegistryAndBuild();
    let { command, log } = await project(dir);
    const dry = (await command('deploy', [], { ...flags, dryRun: true })) as {
      image: string;
      build: {
        image: string;
        requests: { method: string; url: string }[];
        context: { upload: string; sha256: string };
      };
    };
    expect(dry.image).toMatch(/^europe-west1-docker\.pkg\.dev\/acme-ml\/mlops\/shoes:ctx-[0-9a-f]{24}$/);
    expect(dry.build.requests.map((r) => `${r.method} ${r.url.replace(cloud.api.url, '')}`)).toEqual([
      `GET /artifactregistry/v1/${repo}/packages/shoes/tags/${dry.image.split(':')[1]}`,
      'POST /artifactregistry/v1/projects/acme-ml/locations/europe-west1/repositories?repositoryId=mlops',
      'POST /cloudbuild/v1/projects/acme-ml/locations/europe-west1/builds',
    ]);
    expect(dry.build.context.upload).toBe(`${remote}/builds/${dry.build.context.sha256}.tar.gz`);

    fakeCloudRun();
    const first = (await command('deploy', [], flags)) as {
      image: string;
      built: boolean;
      build: { id: string };
    };
    expect(first).toMatchObject({
      image: dry.image,
      built: true,
      build: { id: 'build-1', digest: 'sha256:abc123' },
    });
    // The build request conforms to Cloud Build's schema (checked by the fake) and builds what was planned.
    const build = state.builds[0]?.body as {
      source: { storageSource: { bucket: string; object: string } };
      steps: { args: string[] }[];
      images: string[];
      logsBucket: string;
    };
    expect(build.images).toEqual([dry.image]);
    expect(build.steps[0]?.args).toEqual(
      expect.arrayContaining(['--file', '.mlops-build/Dockerfile', '--tag', dry.image]),
    );
    expect(build.logsBucket).toBe(`${remote}/builds/logs`);
    // The context in the bucket is the one planned: config, manifests, sources; no data.
    const tarball = await readDirect(
      cloud.emulator.directUrl,
      'acme-ml-models',
      build.source.storageSource.object,
    );
    const files = untar(gunzipSync(tarball as Buffer));
    expect(files.has('mlops.config.ts')).toBe(true);
    expect(files.has('data.mlops-data.json')).toBe(true);
    expect([...files.keys()].some((f) => f.startsWith('data/') || f.startsWith('.mlops/'))).toBe(false);
    expect(files.has('Dockerfile')).toBe(false); // the written copy; the build uses .mlops-build/Dockerfile
    expect(files.get('.mlops-build/Dockerfile')).toMatch(
      /for \(const p of \['@mlops\/core','@mlops\/plugin-gcp'\]\)/,
    );
    // Log streamed line by line, links printed.
    expect(log.info.filter((l) => l.startsWith('build: '))).toEqual([
      'build: Step 1/9 : FROM node:22-bookworm-slim AS deps',
      'build: Step 2/9 : WORKDIR /app',
      'build: Successfully built 0123abcd',
      'build: DONE',
    ]);
    expect(
      log.info.some((l) =>
        /^image build build-1 started: https:\/\/console\.cloud\.google\.com\/cloud-build/.test(l),
      ),
    ).toBe(true);
    expect(
      cloud.api.requests.some(
        (r) => r.methodId === 'artifactregistry.projects.locations.repositories.create',
      ),
    ).toBe(true);

    // Unchanged project: the image is reused, nothing is built.
    fakeCloudRun();
    ({ command, log } = await project(dir));
    const second = (await command('deploy', [], flags)) as { image: string; built: boolean };
    expect(second).toMatchObject({ image: dry.image, built: false });
    expect(state.builds).toHaveLength(1);
    expect(log.info.some((l) => l.includes('is up to date'))).toBe(true);

    // Training uses the same image: one build serves `mlops deploy` and `mlops train --remote vertex`.
    const job = (await command('vertex train', [], {
      project: 'acme-ml',
      region: 'europe-west1',
      jobId: 'j1',
      dryRun: true,
    })) as {
      image: string;
      build: { image: string };
      request: { body: { jobSpec: { workerPoolSpecs: { containerSpec: { imageUri: string } }[] } } };
    };
    expect(job.image).toBe(dry.image);
    expect(job.request.body.jobSpec.workerPoolSpecs[0]?.containerSpec.imageUri).toBe(dry.image);

    // A source change is a new image; --rebuild builds even an unchanged one.
    await writeFile(join(dir, 'src/labels.ts'), 'export const labels = ["cat"];\n');
    fakeCloudRun();
    const third = (await command('deploy', [], flags)) as { image: string; built: boolean };
    expect(third.built).toBe(true);
    expect(third.image).not.toBe(dry.image);
    fakeCloudRun();
    expect(((await command('deploy', [], { ...flags, rebuild: true })) as { built: boolean }).built).toBe(
      true,
    );
    expect(state.builds).toHaveLength(3);
    expect(state.tags.size).toBe(2);
    await cleanup();
  });

  it('a failed build raises its status and the log link; a plugin missing from dependencies is refused', async () => {
    const { dir, cleanup } = await tempDir();
    await projectFiles(dir);
    cloud.api.on('GET', `/artifactregistry/v1/${repo}`, [{ body: { name: repo, format: 'DOCKER' } }]);
    cloud.api.on('POST', '/cloudbuild/v1/projects/acme-ml/locations/europe-west1/builds', [
      {
        body: {
          name: 'projects/acme-ml/locations/europe-west1/operations/bad',
          metadata: {
            build: { id: 'bad', logUrl: 'https://console.cloud.google.com/cloud-build/builds/bad' },
          },
        },
      },
    ]);
    cloud.api.on('GET', '/cloudbuild/v1/projects/acme-ml/locations/europe-west1/operations/bad', [
      {
        body: {
          name: 'projects/acme-ml/locations/europe-west1/operations/bad',
          done: true,
          error: { code: 2, message: 'Build failed; check build logs for details' },
          metadata: {
            build: {
              id: 'bad',
              status: 'FAILURE',
              failureInfo: { type: 'USER_BUILD_STEP', detail: 'npm ci exited 1' },
            },
          },
        },
      },
    ]);
    const { command } = await project(dir);
    const error = (await command('deploy', [], flags).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/image build bad ended FAILURE: npm ci exited 1/);
    expect((error as { hint?: string }).hint).toMatch(/cloud-build\/builds\/bad/);
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({
        dependencies: { '@mlops/core': '0.1.0' },
        devDependencies: { '@mlops/plugin-gcp': '0.1.0' },
      }),
    );
    await expect(command('deploy', [], { ...flags, dryRun: true })).rejects.toThrow(
      /@mlops\/plugin-gcp is not in the dependencies of .*package\.json, so the image would not have it/,
    );
    await cleanup();
  });
});
