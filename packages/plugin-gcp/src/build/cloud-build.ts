/**
 * Cloud Build v1: builds the project image from the uploaded context and pushes it to Artifact
 * Registry, with no Docker engine on the user's machine. `projects.locations.builds.create` returns
 * a long-running operation whose metadata carries the Build (id, log URL); the command polls it,
 * prints the console link, streams the build log from the bucket as it grows (the build writes
 * it to `<prefix>/builds/logs/log-<id>.txt`), and on Ctrl-C cancels the build
 * (`builds.cancel`).
 */

import type { Storage } from '@google-cloud/storage';
import { type Logger, MlopsError } from '@mlops/core';
import type { ApiRequest } from '../deploy/cloud-run-service.js';
import { gcpErrors } from '../errors.js';
import { isNotFound } from '../gcs/gcs-errors.js';
import { type GsLocation, objectNameIn, parseGsUrl } from '../gcs/gs-url.js';
import { type GoogleApiClient, sleep } from '../google-api/google-api-client.js';
import type { LongRunningOperation } from '../google-api/long-running-operation.js';
import { CONTEXT_DOCKERFILE } from './build-context.js';

/** What to build. */
export interface CloudBuildOptions {
  /** Project id. */
  project: string;
  /** Cloud Build region (the build runs there). */
  location: string;
  /** The image to build and push, with its tag. */
  image: string;
  /** The uploaded context. */
  source: { bucket: string; object: string; generation?: string };
  /** `gs://bucket/prefix` the build writes its log under. */
  logsDir: string;
  /** The context hash, recorded as an image label. */
  contextHash: string;
  /** The Dockerfile inside the context. Default {@link CONTEXT_DOCKERFILE}. */
  dockerfile?: string;
  /** More image labels (`--label key=value`), e.g. `dev.mlops.variant=gpu`. */
  labels?: Record<string, string>;
  /** Build machine, e.g. `E2_HIGHCPU_8`. Default Cloud Build's. */
  machineType?: string;
  /** Longest build, seconds. Default 1200. */
  timeoutSeconds?: number;
  /** Service account the build runs as (`projects/<p>/serviceAccounts/<email>` or the email). */
  serviceAccount?: string;
  /** Build tags (Cloud Build's, not Docker tags). */
  tags?: string[];
}

/** The subset of the v1 `Build` resource mlops writes. */
export interface CloudBuild {
  source: { storageSource: { bucket: string; object: string; generation?: string } };
  steps: { id: string; name: string; env: string[]; args: string[] }[];
  images: string[];
  tags: string[];
  timeout: string;
  logsBucket: string;
  options: { logging: 'GCS_ONLY'; machineType?: string };
  serviceAccount?: string;
}

/** The Build fields read while following it. */
export interface BuildStatus {
  id?: string;
  status?: string;
  statusDetail?: string;
  logUrl?: string;
  logsBucket?: string;
  results?: { images?: { name?: string; digest?: string }[] };
  failureInfo?: { type?: string; detail?: string };
}

/** What a finished build reports. */
export interface CloudBuildResult {
  /** Build id. */
  id: string;
  /** Console link to the build and its log. */
  logUrl: string;
  /** The pushed image's digest, `sha256:...`, when reported. */
  digest?: string;
}

/** Options of {@link runCloudBuild}. */
export interface RunCloudBuildOptions {
  /** Cloud Build API base URL. */
  baseUrl: string;
  /** Storage client, to stream the log. */
  storage: Storage;
  /** Where progress goes. */
  logger: Logger;
  /** Poll interval, ms. Default 3000. */
  intervalMs?: number;
  /** Give up waiting after, ms. Default: the build timeout plus 10 minutes. */
  timeoutMs?: number;
  /** Aborting it cancels the build. */
  signal?: AbortSignal;
}

/** The request that starts the build; see the module comment. */
export function buildCloudBuildRequest(options: CloudBuildOptions, baseUrl: string): ApiRequest<CloudBuild> {
  const serviceAccount = options.serviceAccount
    ? options.serviceAccount.startsWith('projects/')
      ? options.serviceAccount
      : `projects/${options.project}/serviceAccounts/${options.serviceAccount}`
    : undefined;
  return {
    method: 'POST',
    url: `${baseUrl}/projects/${options.project}/locations/${options.location}/builds`,
    body: {
      source: { storageSource: options.source },
      steps: [
        {
          id: 'build',
          name: 'gcr.io/cloud-builders/docker',
          env: ['DOCKER_BUILDKIT=1'],
          args: [
            'build',
            '--tag',
            options.image,
            '--file',
            options.dockerfile ?? CONTEXT_DOCKERFILE,
            '--label',
            `dev.mlops.context=${options.contextHash}`,
            ...Object.entries(options.labels ?? {}).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
            '.',
          ],
        },
      ],
      images: [options.image],
      tags: (options.tags ?? ['mlops']).map(buildTag),
      timeout: `${options.timeoutSeconds ?? 1200}s`,
      logsBucket: options.logsDir,
      options: {
        logging: 'GCS_ONLY',
        ...(options.machineType ? { machineType: options.machineType } : {}),
      },
      ...(serviceAccount ? { serviceAccount } : {}),
    },
  };
}

/** Starts the build and follows it to the end; see the module comment. */
export async function runCloudBuild(
  client: GoogleApiClient,
  request: ApiRequest<CloudBuild>,
  options: RunCloudBuildOptions,
): Promise<CloudBuildResult> {
  const role = 'roles/cloudbuild.builds.editor';
  let operation = (await client.request<LongRunningOperation<BuildStatus>>(
    request.method,
    request.url,
    request.body,
    `start the image build of ${request.body.images[0]}`,
    { role },
  )) as LongRunningOperation<BuildStatus>;
  let build = buildOf(operation);
  const id = build?.id;
  if (!id) {
    throw new MlopsError('MLOPS_ERR_REMOTE_REQUEST', 'Cloud Build answered without a build id', {
      hint: 'Run the command again; if it persists, start the build with `gcloud builds submit`.',
    });
  }
  const [, project = '', location = ''] =
    /\/projects\/([^/]+)\/locations\/([^/]+)\/builds$/.exec(request.url) ?? [];
  const buildName = `projects/${project}/locations/${location}/builds/${id}`;
  const logUrl = build?.logUrl ?? '';
  options.logger.info(`image build ${id} started: ${logUrl}`);
  const log = new LogTail(options.storage, parseGsUrl(request.body.logsBucket, 'logsBucket'), id);
  const timeoutMs = options.timeoutMs ?? (Number.parseInt(request.body.timeout, 10) + 600) * 1000;
  const started = Date.now();
  let cancelled = false;
  const cancel = async () => {
    if (cancelled) return;
    cancelled = true;
    options.logger.warn(`cancelling the image build ${id}`);
    await client.request(
      'POST',
      `${options.baseUrl}/${buildName}:cancel`,
      { name: buildName, projectId: project, id },
      `cancel image build ${id}`,
    );
  };
  while (!operation.done) {
    if (options.signal?.aborted) await cancel();
    if (Date.now() - started > timeoutMs) {
      throw gcpErrors.create(
        'MLOPS_GCP_ERR_IMAGE_BUILD',
        `image build ${id} is still running after ${Math.round((Date.now() - started) / 1000)} s`,
        { hint: `It may still finish: ${logUrl}` },
      );
    }
    await sleep(options.intervalMs ?? 3000, cancelled ? undefined : options.signal);
    operation = (await client.request<LongRunningOperation<BuildStatus>>(
      'GET',
      `${options.baseUrl}/${operation.name}`,
      undefined,
      `image build ${id} (polling)`,
    )) as LongRunningOperation<BuildStatus>;
    build = buildOf(operation) ?? build;
    await log.print(options.logger);
  }
  await log.print(options.logger, true);
  const final = (operation.response as BuildStatus | undefined) ?? build;
  if (operation.error || final?.status !== 'SUCCESS') {
    const status = final?.status ?? 'FAILURE';
    const detail = final?.failureInfo?.detail ?? final?.statusDetail ?? operation.error?.message ?? '';
    throw gcpErrors.create(
      'MLOPS_GCP_ERR_IMAGE_BUILD',
      `image build ${id} ${cancelled ? 'was cancelled' : `ended ${status}`}${detail ? `: ${detail}` : ''}`,
      {
        hint: cancelled
          ? 'Run the command again to build anew.'
          : `Read the build log (${logUrl}); a failing \`npm ci\` usually means package-lock.json is out of date.`,
      },
    );
  }
  const digest = final.results?.images?.find((i) => i.name === request.body.images[0])?.digest;
  return { id, logUrl, ...(digest ? { digest } : {}) };
}

/** The Build inside an operation: its metadata while running, its response when done. */
function buildOf(operation: LongRunningOperation<BuildStatus>): BuildStatus | undefined {
  if (operation.done && operation.response) return operation.response;
  const metadata = operation.metadata as { build?: BuildStatus } | undefined;
  return metadata?.build;
}

/** Cloud Build tags: word characters, `.` and `-`, starting with a word character. */
function buildTag(value: string): string {
  return (
    value
      .replace(/[^\w.-]+/g, '-')
      .replace(/^[^\w]+/, '')
      .slice(0, 128) || 'mlops'
  );
}

/** Prints what was appended to `log-<id>.txt` since the last call. */
class LogTail {
  private offset = 0;
  private pending = '';

  constructor(
    private readonly storage: Storage,
    private readonly dir: GsLocation,
    private readonly id: string,
  ) {}

  async print(logger: Logger, last = false): Promise<void> {
    const file = this.storage.bucket(this.dir.bucket).file(objectNameIn(this.dir, `log-${this.id}.txt`));
    let size: number;
    try {
      const [metadata] = await file.getMetadata();
      size = Number(metadata.size ?? 0);
    } catch (error) {
      if (isNotFound(error)) return; // not written yet
      logger.debug(`build log not readable: ${(error as Error).message}`);
      return;
    }
    if (size <= this.offset) {
      if (last && this.pending.trim()) logger.info(`build: ${this.pending}`);
      return;
    }
    let chunk: Buffer;
    try {
      [chunk] = await file.download({ start: this.offset, end: size - 1 });
    } catch (error) {
      logger.debug(`build log not readable: ${(error as Error).message}`);
      return;
    }
    this.offset += chunk.length;
    const text = this.pending + chunk.toString('utf8');
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    if (last && this.pending) lines.push(this.pending);
    for (const line of lines) if (line.trim()) logger.info(`build: ${line}`);
  }
}
