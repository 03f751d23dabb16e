import type { CloudRunDeployOptions } from './deploy/cloud-run-service.js';
import type { GcsRetryOptions } from './gcs/storage-client.js';
import type { GoogleApiEndpoints } from './google-api/endpoints.js';
import type { AccessTokenSource, ApiRetryOptions } from './google-api/google-api-client.js';
import type { AlertThresholds } from './monitoring/alert-policies.js';
import type { VertexJobOptions } from './vertex/custom-job.js';

/** Where a service lives: the project's own `.mlops` or the bucket. */
export type GcpPlacement = 'local' | 'bucket';

/**
 * How `mlops deploy` and `mlops train --remote vertex` build the project image when no `--image`
 * is given: Cloud Build, pushed to an Artifact Registry Docker repository (created when missing),
 * tagged with the content hash of the build context.
 */
export interface ImageBuildOptions {
  /** Artifact Registry repository id. Default `mlops`. */
  repository?: string;
  /** Location of the repository and of the build. Default the region. */
  location?: string;
  /** Image name in the repository. Default the project name (`config.project`). */
  image?: string;
  /** Base image of the Dockerfile. Default `node:22-bookworm-slim`. */
  baseImage?: string;
  /**
   * CUDA base image of the GPU variant (Vertex jobs with an accelerator). Default
   * `nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04`: tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.
   * Point it at a copy in your own registry to pin it (NVIDIA deletes end-of-life tags).
   */
  gpuBaseImage?: string;
  /** Cloud Build machine type, e.g. `E2_HIGHCPU_8`. Default Cloud Build's. */
  machineType?: string;
  /** Longest build, seconds. Default 1200 (2400 for the GPU variant). */
  timeoutSeconds?: number;
  /** Service account the build runs as. Default Cloud Build's. */
  serviceAccount?: string;
}

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
  deploy?: Partial<Omit<CloudRunDeployOptions, 'project' | 'region' | 'remote' | 'secrets' | 'traffic'>> & {
    /** Env vars from Secret Manager: name → `secret[:version]` or `projects/<p>/secrets/<s>[/versions/<v>]`. */
    secrets?: Record<string, string>;
    /** `--allow-unauthenticated`: true grants `allUsers` `roles/run.invoker`, false removes it. */
    allowUnauthenticated?: boolean;
    /** `--alerts`: notification channels the alert policies notify. */
    alertChannels?: string[];
    /** Thresholds of the alert policies (`--alerts`). */
    alerts?: AlertThresholds;
  };
  /** How images are built when no `--image` is given. */
  build?: ImageBuildOptions;
  /** Defaults of `mlops vertex train` / `mlops train --remote vertex`. */
  vertex?: Partial<
    Omit<VertexJobOptions, 'project' | 'region' | 'remote' | 'jobId' | 'projectName' | 'secrets'>
  > & {
    /** Env vars the job reads from Secret Manager at start: name → secret (as for `deploy.secrets`). */
    secrets?: Record<string, string>;
  };
  /** Base URLs of the Google APIs (private endpoints, tests). */
  endpoints?: GoogleApiEndpoints;
  /** Access tokens for those APIs. Default Application Default Credentials. */
  tokens?: AccessTokenSource;
  /** Retries of those APIs. */
  apiRetry?: ApiRetryOptions;
  /** Poll interval of deploys, builds and jobs, ms. Default 2000 (deploy), 3000 (builds), 15000 (jobs). */
  pollIntervalMs?: number;
}
