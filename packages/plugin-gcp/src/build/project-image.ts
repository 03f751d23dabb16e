/**
 * The project image of a deploy or a Vertex job, built only when the project changed. The plan
 * (`planProjectImage`) packs the build context and derives the image URI from its content hash:
 * `<location>-docker.pkg.dev/<project>/<repository>/<image>:ctx-<hash>`, or `:ctx-<hash>-gpu` for
 * the GPU variant (Vertex jobs with an accelerator: CUDA 11.2, tfjs-node-gpu; see
 * `gpu-dockerfile.ts`). The context carries both Dockerfiles, so both variants of one state of
 * the project share the hash and the uploaded context, and each is built from its own Dockerfile
 * only when asked for. Ensuring it
 * (`ensureProjectImage`) looks the tag up in Artifact Registry and reuses the image when it is
 * there; otherwise it creates the Docker repository when missing, uploads the context to
 * `<bucket prefix>/builds/<hash>.tar.gz` and runs Cloud Build. `--dry-run` prints the plan's
 * requests and sends none.
 */

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Logger, ResolvedConfig } from '@mlops/core';
import type { ApiRequest } from '../deploy/cloud-run-service.js';
import { renderServerDockerfile } from '../deploy/dockerfile.js';
import { credentialValues } from '../deploy/secrets.js';
import { gcpErrors } from '../errors.js';
import type { GcpContext } from '../gcp-context.js';
import { toMlopsError } from '../gcs/gcs-errors.js';
import { formatGsUrl, objectNameIn, parseGsUrl } from '../gcs/gs-url.js';
import { apiBase } from '../google-api/endpoints.js';
import {
  createRepositoryRequest,
  type DockerRepository,
  ensureDockerRepository,
  findImageTag,
  imageUri,
  tagLookupRequest,
} from './artifact-registry.js';
import {
  type BuildContext,
  CONTEXT_DOCKERFILE,
  CONTEXT_GPU_DOCKERFILE,
  createBuildContext,
} from './build-context.js';
import { buildCloudBuildRequest, type CloudBuild, runCloudBuild } from './cloud-build.js';
import { renderGpuTrainingDockerfile } from './gpu-dockerfile.js';

/**
 * Which image of the project: `cpu` (the one image of deploys and CPU jobs, `node:22` based) or
 * `gpu` (Vertex jobs with an accelerator: CUDA 11.2 + cuDNN 8, tfjs-node-gpu).
 */
export type ImageVariant = 'cpu' | 'gpu';

/** Longest GPU image build by default, seconds: the CUDA base and libtensorflow are large downloads. */
export const GPU_BUILD_TIMEOUT_SECONDS = 2400;

/** A planned image. */
export interface ProjectImagePlan {
  /** The image URI, tagged with the context hash (and `-gpu` for the GPU variant). */
  image: string;
  /** Which image. */
  variant: ImageVariant;
  /** The image tag: `ctx-<hash>`, or `ctx-<hash>-gpu`. */
  tag: string;
  /** The Dockerfile this variant builds from: its path in the context and its text. */
  dockerfile: { path: string; text: string };
  /** Where it is pushed. */
  repository: DockerRepository;
  /** Image name in the repository. */
  imageName: string;
  /** The packed context. */
  context: BuildContext;
  /** Where the context is uploaded. */
  source: { bucket: string; object: string; url: string };
  /** The requests, in the order they may be sent. */
  requests: {
    lookup: ApiRequest<undefined>;
    createRepository: ApiRequest<unknown>;
    build: ApiRequest<CloudBuild>;
  };
}

/** What `ensureProjectImage` did. */
export interface ProjectImageResult {
  /** The image to run. */
  image: string;
  /** False when the image was already in the registry. */
  built: boolean;
  /** The build, when one ran. */
  build?: { id: string; logUrl: string; digest?: string };
}

/** Plans the image for `config`: packs the context (reads the project, sends nothing). */
export async function planProjectImage(
  context: GcpContext,
  input: { project: string; region: string; configFile: string; variant?: ImageVariant },
): Promise<ProjectImagePlan> {
  const variant = input.variant ?? 'cpu';
  const { config } = context;
  const options = context.options.build ?? {};
  const location = options.location ?? input.region;
  const repository: DockerRepository = {
    project: input.project,
    location,
    repository: options.repository ?? 'mlops',
  };
  const imageName = options.image ?? imageNameOf(config.project);
  const packages = await pluginPackages(config);
  const dockerfile = renderServerDockerfile({
    configFile: input.configFile,
    packages,
    ...(options.baseImage ? { baseImage: options.baseImage } : {}),
  });
  const gpuDockerfile = renderGpuTrainingDockerfile({
    configFile: input.configFile,
    packages,
    ...(options.gpuBaseImage ? { baseImage: options.gpuBaseImage } : {}),
  });
  const built = await createBuildContext({
    root: config.root,
    dockerfile,
    generated: { [CONTEXT_GPU_DOCKERFILE]: gpuDockerfile },
    exclude: await contextExclusions(config),
    secretValues: credentialValues(),
  });
  const gpu = variant === 'gpu';
  const tag = gpu ? `${built.tag}-gpu` : built.tag;
  const builtFrom = gpu
    ? { path: CONTEXT_GPU_DOCKERFILE, text: gpuDockerfile }
    : { path: CONTEXT_DOCKERFILE, text: dockerfile };
  const remote = parseGsUrl(context.requireRemote('building the image'));
  const objectPath = `builds/${built.hash}.tar.gz`;
  const source = {
    bucket: remote.bucket,
    object: objectNameIn(remote, objectPath),
    url: formatGsUrl(remote, objectPath),
  };
  const image = imageUri(repository, imageName, tag);
  const timeoutSeconds = options.timeoutSeconds ?? (gpu ? GPU_BUILD_TIMEOUT_SECONDS : undefined);
  const arBase = apiBase(context.options.endpoints, 'artifactRegistry');
  const cbBase = apiBase(context.options.endpoints, 'cloudBuild');
  return {
    image,
    variant,
    tag,
    dockerfile: builtFrom,
    repository,
    imageName,
    context: built,
    source,
    requests: {
      lookup: tagLookupRequest(repository, imageName, tag, arBase),
      createRepository: createRepositoryRequest(repository, arBase),
      build: buildCloudBuildRequest(
        {
          project: input.project,
          location,
          image,
          source: { bucket: source.bucket, object: source.object },
          logsDir: formatGsUrl(remote, 'builds/logs'),
          contextHash: built.hash,
          dockerfile: builtFrom.path,
          labels: { 'dev.mlops.variant': variant },
          tags: ['mlops', `mlops-${imageName}`, ...(gpu ? ['mlops-gpu'] : [])],
          ...(options.machineType ? { machineType: options.machineType } : {}),
          ...(timeoutSeconds ? { timeoutSeconds } : {}),
          ...(options.serviceAccount ? { serviceAccount: options.serviceAccount } : {}),
        },
        cbBase,
      ),
    },
  };
}

/** The plan as `--dry-run` prints it. */
export function describeImagePlan(plan: ProjectImagePlan): Record<string, unknown> {
  return {
    image: plan.image,
    variant: plan.variant,
    dockerfile: plan.dockerfile.path,
    context: {
      files: plan.context.files.length,
      bytes: plan.context.bytes,
      sha256: plan.context.hash,
      excluded: plan.context.excluded,
      upload: plan.source.url,
    },
    requests: [
      { ...plan.requests.lookup, note: 'an image with this tag is reused: nothing below is sent' },
      { ...plan.requests.createRepository, note: 'only when the repository does not exist' },
      plan.requests.build,
    ],
  };
}

/** Reuses the image when the registry has it, else builds it; see the module comment. */
export async function ensureProjectImage(
  context: GcpContext,
  plan: ProjectImagePlan,
  options: { logger: Logger; rebuild?: boolean; signal?: AbortSignal },
): Promise<ProjectImageResult> {
  const client = context.apiClient();
  const arBase = apiBase(context.options.endpoints, 'artifactRegistry');
  if (!options.rebuild) {
    const tag = await findImageTag(client, plan.repository, plan.imageName, plan.tag, arBase);
    if (tag) {
      options.logger.info(`image ${plan.image} is up to date (the project has not changed): not rebuilding`);
      return { image: plan.image, built: false };
    }
  }
  await ensureDockerRepository(client, plan.repository, {
    baseUrl: arBase,
    intervalMs: context.options.pollIntervalMs ?? 2000,
    logger: options.logger,
  });
  const file = context.storage().bucket(plan.source.bucket).file(plan.source.object);
  try {
    const [exists] = await file.exists();
    if (!exists) {
      options.logger.info(
        `uploading the build context (${plan.context.files.length} files, ${formatBytes(plan.context.archive.length)}) to ${plan.source.url}`,
      );
      await file.save(plan.context.archive, {
        resumable: plan.context.archive.length > 8 * 1024 * 1024,
        metadata: { contentType: 'application/gzip' },
      });
    }
  } catch (error) {
    throw toMlopsError(`upload ${plan.source.url}`, error);
  }
  const build = await runCloudBuild(client, plan.requests.build, {
    baseUrl: apiBase(context.options.endpoints, 'cloudBuild'),
    storage: context.storage(),
    logger: options.logger,
    intervalMs: context.options.pollIntervalMs ?? 3000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.logger.info(`pushed ${plan.image}${build.digest ? ` (${build.digest})` : ''}`);
  return { image: plan.image, built: true, build };
}

/**
 * Paths the image never carries (as root-anchored ignore patterns): the store, the data folders
 * (`data.path` and the folder of every `<folder>.mlops-data.json` at the root: the job pulls the
 * data from the bucket) and a credentials file inside the project.
 */
export async function contextExclusions(config: ResolvedConfig): Promise<string[]> {
  const out = new Set<string>();
  const add = (path: string | undefined) => {
    if (!path) return;
    const abs = resolve(config.root, path);
    const rel = relative(config.root, abs);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) return;
    out.add(`/${rel.split('\\').join('/')}/`);
  };
  add(config.store.path);
  add(config.data.path);
  for (const entry of await readdir(config.root).catch(() => [] as string[])) {
    if (entry.endsWith('.mlops-data.json')) add(entry.slice(0, -'.mlops-data.json'.length));
  }
  const credentials = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  if (credentials) {
    const rel = relative(config.root, resolve(config.root, credentials));
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) out.add(`/${rel.split('\\').join('/')}`);
  }
  return [...out];
}

/**
 * The packages the config's plugins come from, which the image must hold: each must be a
 * production dependency in package.json (`npm ci --omit=dev` installs nothing else). Plugins
 * defined in the project's own files are not packages and are carried as sources.
 */
export async function pluginPackages(config: ResolvedConfig): Promise<string[]> {
  const manifestPath = join(config.root, 'package.json');
  let manifest: Record<string, Record<string, string> | undefined>;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw gcpErrors.create(
      'MLOPS_GCP_ERR_BUILD_CONTEXT',
      `the image build needs ${manifestPath}: ${(error as Error).message}`,
      {
        file: manifestPath,
        hint: 'Build from the folder holding mlops.config.ts and its package.json.',
      },
    );
  }
  const production = { ...(manifest.dependencies ?? {}), ...(manifest.optionalDependencies ?? {}) };
  const other = { ...(manifest.devDependencies ?? {}), ...(manifest.peerDependencies ?? {}) };
  const names = ['@mlops/core', ...config.plugins.map((p) => p.name)];
  const packages: string[] = [];
  for (const name of new Set(names)) {
    if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/.test(name)) continue;
    if (name in production) {
      packages.push(name);
    } else if (name in other || name === '@mlops/core' || isInstalled(config.root, name)) {
      throw gcpErrors.create(
        'MLOPS_GCP_ERR_BUILD_CONTEXT',
        `${name} is not in the dependencies of ${manifestPath}, so the image would not have it`,
        {
          file: manifestPath,
          hint: `npm install ${name} (a production dependency: the image runs npm ci --omit=dev).`,
        },
      );
    }
  }
  return packages;
}

/** Whether `name` is installed in a node_modules at or above `root` (a package, not a local plugin). */
function isInstalled(root: string, name: string): boolean {
  for (let dir = root; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', ...name.split('/'), 'package.json'))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/** A repository image name from the project name. */
function imageNameOf(project: string): string {
  return (
    project
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'mlops'
  );
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
