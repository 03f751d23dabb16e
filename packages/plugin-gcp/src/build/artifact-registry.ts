/**
 * Artifact Registry v1, the little the image build needs: is `image:tag` already there
 * (`projects.locations.repositories.packages.tags.get`), and the Docker repository, created when
 * missing (`repositories.get`, then `repositories.create`, a long-running operation).
 */
import { type Logger, MlopsError } from '@mlops/core';
import type { ApiRequest } from '../deploy/cloud-run-service.js';
import { type GoogleApiClient, isApiStatus } from '../google-api/google-api-client.js';
import { type LongRunningOperation, waitForOperation } from '../google-api/long-running-operation.js';

/** A Docker repository of Artifact Registry. */
export interface DockerRepository {
  /** Project id. */
  project: string;
  /** Location (a region such as `europe-west1`, or a multi-region such as `us`). */
  location: string;
  /** Repository id, e.g. `mlops`. */
  repository: string;
}

/** The v1 `Repository` fields mlops writes. */
export interface ArtifactRepository {
  format: 'DOCKER';
  description: string;
  labels: Record<string, string>;
}

/** The v1 `Tag` fields read. */
export interface ArtifactTag {
  /** `projects/.../packages/<image>/tags/<tag>`. */
  name?: string;
  /** `projects/.../packages/<image>/versions/sha256:<digest>`. */
  version?: string;
}

/** `<location>-docker.pkg.dev/<project>/<repository>/<image>:<tag>`. */
export function imageUri(repo: DockerRepository, image: string, tag: string): string {
  return `${repo.location}-docker.pkg.dev/${repo.project}/${repo.repository}/${image}:${tag}`;
}

/** The repository's resource name. */
export function repositoryName(repo: DockerRepository): string {
  return `projects/${repo.project}/locations/${repo.location}/repositories/${repo.repository}`;
}

/** The lookup of `image:tag` (a 404 means: not pushed yet). */
export function tagLookupRequest(
  repo: DockerRepository,
  image: string,
  tag: string,
  baseUrl: string,
): ApiRequest<undefined> {
  // The package id of a Docker image is its path in the repository, with `/` escaped.
  const url = `${baseUrl}/${repositoryName(repo)}/packages/${encodeURIComponent(image)}/tags/${encodeURIComponent(tag)}`;
  return { method: 'GET', url, body: undefined };
}

/** The request that creates the repository. */
export function createRepositoryRequest(
  repo: DockerRepository,
  baseUrl: string,
): ApiRequest<ArtifactRepository> {
  return {
    method: 'POST',
    url: `${baseUrl}/projects/${repo.project}/locations/${repo.location}/repositories?repositoryId=${encodeURIComponent(repo.repository)}`,
    body: {
      format: 'DOCKER',
      description: 'Images built by mlops (mlops deploy, mlops train --remote vertex)',
      labels: { 'managed-by': 'mlops' },
    },
  };
}

/** The tag, or undefined when `image:tag` is not in the repository (or the repository is missing). */
export async function findImageTag(
  client: GoogleApiClient,
  repo: DockerRepository,
  image: string,
  tag: string,
  baseUrl: string,
): Promise<ArtifactTag | undefined> {
  const request = tagLookupRequest(repo, image, tag, baseUrl);
  return client.request<ArtifactTag>(request.method, request.url, undefined, `look up ${image}:${tag}`, {
    allowNotFound: true,
    role: 'roles/artifactregistry.reader',
  });
}

/** Creates the Docker repository unless it exists; says which happened. */
export async function ensureDockerRepository(
  client: GoogleApiClient,
  repo: DockerRepository,
  options: { baseUrl: string; intervalMs?: number; logger?: Logger },
): Promise<'exists' | 'created'> {
  const name = repositoryName(repo);
  const role =
    'roles/artifactregistry.admin (or create the repository once: gcloud artifacts repositories create)';
  const current = await client.request<{ format?: string }>(
    'GET',
    `${options.baseUrl}/${name}`,
    undefined,
    `look up the Artifact Registry repository ${name}`,
    { allowNotFound: true, role },
  );
  if (current) {
    if (current.format && current.format !== 'DOCKER') {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `the Artifact Registry repository ${name} holds ${current.format} packages, not Docker images`,
        { hint: 'Name a Docker repository: gcp({ build: { repository } }) or --repository.' },
      );
    }
    return 'exists';
  }
  const request = createRepositoryRequest(repo, options.baseUrl);
  options.logger?.info(`creating the Docker repository ${name}`);
  let operation: LongRunningOperation<unknown>;
  try {
    operation = (await client.request<LongRunningOperation<unknown>>(
      request.method,
      request.url,
      request.body,
      `create the Artifact Registry repository ${name}`,
      { role },
    )) as LongRunningOperation<unknown>;
  } catch (error) {
    if (isApiStatus(error, 409)) return 'exists'; // created meanwhile by someone else
    throw error;
  }
  await waitForOperation(client, options.baseUrl, operation, `create ${name}`, {
    intervalMs: options.intervalMs ?? 2000,
  });
  return 'created';
}
