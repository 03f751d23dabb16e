import type { CloudRunDeployOptions } from './deploy/cloud-run-service.js';
import type { GcsRetryOptions } from './gcs/storage-client.js';
import type { AccessTokenSource, ApiRetryOptions } from './google-api/google-api-client.js';
import type { VertexJobOptions } from './vertex/custom-job.js';

/** Where a service lives: the project's own `.mlops` or the bucket. */
export type GcpPlacement = 'local' | 'bucket';

/** Options of the {@link gcp} plugin. Every field is optional. */
export interface GcpPluginOptions {
  /** The bucket, `gs://bucket/prefix`. Default the config's `store.remote`. */
  remote?: string;
  /**
   * The run's artifact store. `local` (default): runs use `.mlops`, `mlops data push|pull` sync
   * with the bucket. `bucket`: every artifact a run writes also goes to the bucket, and reads fetch
   * from it (`.mlops` is the cache) — what remote jobs and Cloud Run use. Env `MLOPS_GCP_STORE`
   * overrides it.
   */
  store?: GcpPlacement;
  /**
   * The model registry. `bucket`: `<prefix>/registry/` with generation-match alias moves, shared by
   * every machine (registering uploads the version's artifacts). Default `local`. Env
   * `MLOPS_GCP_REGISTRY` overrides it.
   */
  registry?: GcpPlacement;
  /** Google Cloud project for deploys and jobs. Default env `GOOGLE_CLOUD_PROJECT`. */
  projectId?: string;
  /** Region for Cloud Run and Vertex AI. Default `us-central1`. */
  region?: string;
  /** Storage API endpoint (an emulator). Default env `STORAGE_EMULATOR_HOST`, else Google's. */
  apiEndpoint?: string;
  /** Retries of storage requests. */
  retry?: GcsRetryOptions;
  /** Objects transferred at once. Default 8. */
  concurrency?: number;
  /** Objects above this many bytes go up as resumable uploads. Default 8 MiB. */
  resumableThreshold?: number;
  /** Defaults of `mlops deploy --target cloud-run`. */
  deploy?: Partial<Omit<CloudRunDeployOptions, 'project' | 'region' | 'remote'>>;
  /** Defaults of `mlops vertex train`. */
  vertex?: Partial<Omit<VertexJobOptions, 'project' | 'region' | 'remote' | 'jobId' | 'projectName'>>;
  /** Base URLs of the Cloud Run and Vertex AI APIs (private endpoints, tests). */
  endpoints?: { run?: string; vertex?: string };
  /** Access tokens for those APIs. Default Application Default Credentials. */
  tokens?: AccessTokenSource;
  /** Retries of those APIs. */
  apiRetry?: ApiRetryOptions;
  /** Poll interval of deploys and jobs, ms. Default 2000 (deploy) and 15000 (jobs). */
  pollIntervalMs?: number;
}
