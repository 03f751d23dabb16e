/**
 * The plugin's resources for one pipeline, built from its options, the config and the
 * environment: the storage client, the bucket store and registry, the REST API client. Built on
 * first use, so a project that never touches the bucket never needs credentials.
 */
import { resolve } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { LocalArtifactStore, MlopsError, type ResolvedConfig } from '@mlops/core';
import { GcsArtifactStore } from './gcs/gcs-artifact-store.js';
import { createStorageClient } from './gcs/storage-client.js';
import { apiBase, type GoogleApiEndpoints } from './google-api/endpoints.js';
import { GoogleApiClient } from './google-api/google-api-client.js';
import type { GcpPlacement, GcpPluginOptions } from './options.js';
import { GcsModelRegistry } from './registry/gcs-model-registry.js';

/** See the module comment. */
export class GcpContext {
  /** The plugin options. */
  readonly options: GcpPluginOptions;
  /** The resolved config. */
  readonly config: ResolvedConfig;
  private storageClient: Storage | undefined;
  private bucketStore: GcsArtifactStore | undefined;
  private bucketRegistry: GcsModelRegistry | undefined;

  /** Resources for `config` with `options`. */
  constructor(options: GcpPluginOptions, config: ResolvedConfig) {
    this.options = options;
    this.config = config;
  }

  /** The bucket URL, or undefined when neither the options nor `store.remote` name one. */
  get remoteUrl(): string | undefined {
    return this.options.remote ?? this.config.store.remote;
  }

  /** The bucket URL; a config error naming `store.remote` when there is none. */
  requireRemote(what: string): string {
    const remote = this.remoteUrl;
    if (!remote) {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `${what} needs a bucket, and store.remote is not set`,
        {
          hint: "Set store: { remote: 'gs://<bucket>/<prefix>' } in mlops.config.ts (or --set store.remote=gs://...).",
        },
      );
    }
    return remote;
  }

  /** Where the run's store lives (env `MLOPS_GCP_STORE` first). */
  get storePlacement(): GcpPlacement {
    return placement(process.env.MLOPS_GCP_STORE, this.options.store, 'MLOPS_GCP_STORE');
  }

  /** Where the registry lives (env `MLOPS_GCP_REGISTRY` first). */
  get registryPlacement(): GcpPlacement {
    return placement(process.env.MLOPS_GCP_REGISTRY, this.options.registry, 'MLOPS_GCP_REGISTRY');
  }

  /** The storage client. */
  storage(): Storage {
    this.storageClient ??= createStorageClient({
      ...(this.options.apiEndpoint ? { apiEndpoint: this.options.apiEndpoint } : {}),
      ...(this.options.projectId ? { projectId: this.options.projectId } : {}),
      ...(this.options.retry ? { retry: this.options.retry } : {}),
    });
    return this.storageClient;
  }

  /** The project's local store (`store.path`). */
  localStore(): LocalArtifactStore {
    return new LocalArtifactStore(resolve(this.config.root, this.config.store.path));
  }

  /** The bucket store, with the local store as its cache. */
  remoteStore(what = 'this command'): GcsArtifactStore {
    this.bucketStore ??= new GcsArtifactStore({
      url: this.requireRemote(what),
      storage: this.storage(),
      cache: this.localStore(),
      ...(this.options.concurrency ? { concurrency: this.options.concurrency } : {}),
      ...(this.options.resumableThreshold ? { resumableThreshold: this.options.resumableThreshold } : {}),
    });
    return this.bucketStore;
  }

  /** The bucket registry; registering uploads the version's artifacts first. */
  remoteRegistry(what = 'the bucket registry'): GcsModelRegistry {
    if (!this.bucketRegistry) {
      const store = this.remoteStore(what);
      this.bucketRegistry = new GcsModelRegistry({
        url: this.requireRemote(what),
        storage: this.storage(),
        beforeRegister: async (input) => {
          for (const ref of Object.values(input.artifacts)) {
            if (ref.kind === 'dir') {
              const tree = await store.cache.getTree(ref);
              await store.upload(tree.entries.map((e) => e.hash));
            }
            await store.upload([ref.hash]);
          }
        },
      });
    }
    return this.bucketRegistry;
  }

  /** Client of the Google REST APIs, authenticated with ADC unless tokens are given. */
  apiClient(): GoogleApiClient {
    return new GoogleApiClient({
      tokens: this.options.tokens ?? this.storage().authClient,
      ...(this.options.apiRetry ? { retry: this.options.apiRetry } : {}),
    });
  }

  /** Base URL of one of the Google APIs (configured, else Google's; Vertex AI's is regional). */
  endpoint(api: keyof GoogleApiEndpoints, region?: string): string {
    return apiBase(this.options.endpoints, api, region);
  }

  /** The Google Cloud project; a usage error naming the flag and env var when unknown. */
  requireProject(flag: string | undefined): string {
    const project = flag ?? this.options.projectId ?? process.env.GOOGLE_CLOUD_PROJECT;
    if (!project) {
      throw new MlopsError('MLOPS_ERR_USAGE', 'no Google Cloud project given', {
        hint: 'Pass --project <id>, set gcp({ projectId }) in mlops.config.ts, or export GOOGLE_CLOUD_PROJECT.',
      });
    }
    return project;
  }

  /** The region: flag, option, or `us-central1`. */
  region(flag: string | undefined): string {
    return flag ?? this.options.region ?? 'us-central1';
  }
}

function placement(env: string | undefined, option: GcpPlacement | undefined, name: string): GcpPlacement {
  if (env === undefined || env === '') return option ?? 'local';
  if (env === 'local' || env === 'bucket') return env;
  throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `${name}=${env} is neither "local" nor "bucket"`, {
    hint: `Unset ${name} or set it to local or bucket.`,
  });
}
