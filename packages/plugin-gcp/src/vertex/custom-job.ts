/**
 * The Vertex AI CustomJob that runs training remotely: `POST
 * https://{region}-aiplatform.googleapis.com/v1/projects/{p}/locations/{region}/customJobs` with one
 * worker pool (machine type, accelerators, the project's container image) whose container runs the
 * same `mlops run` as a local run, with the store and registry in the bucket. The container's
 * command is the plugin's job entry (`dist/job-main.js`), which reads the job's secrets from
 * Secret Manager into the environment (Vertex AI has no secret env vars) before it starts
 * `mlops`. Field names follow the v1 REST reference
 * (CustomJob.jobSpec.workerPoolSpecs[].machineSpec / containerSpec / diskSpec, jobSpec.scheduling).
 */
import { MlopsError } from '@mlops/core';
import type { ApiRequest } from '../deploy/cloud-run-service.js';
import { refuseCredentials, type SecretRef, secretVersionName } from '../deploy/secrets.js';
import { vertexApiBase } from '../google-api/endpoints.js';
import { checkMachineSpec } from './accelerators.js';

/** Vertex AI's regional endpoint (re-exported from `google-api/endpoints.ts`). */
export { vertexApiBase };

/** The job entry inside the image (see `job-main.ts`). */
export const JOB_ENTRY = 'node_modules/@mlops/plugin-gcp/dist/job-main.js';

/** Env var listing the job's secrets: `ENV=projects/<p>/secrets/<s>/versions/<v>,...`. */
export const SECRETS_ENV = 'MLOPS_GCP_SECRETS';

/** What to run and where. */
export interface VertexJobOptions {
  /** Google Cloud project id. */
  project: string;
  /** Region, e.g. `us-central1`. */
  region: string;
  /** Training image (the project with its dependencies), e.g. `us-docker.pkg.dev/p/repo/train:abc`. */
  image: string;
  /** The bucket store, `gs://bucket/prefix`. */
  remote: string;
  /** Id of the job package in the bucket (`jobs/<id>/`), also the job's display name suffix. */
  jobId: string;
  /** Project name, for the display name and labels. */
  projectName: string;
  /** Machine type. Default `n1-standard-8`. */
  machineType?: string;
  /** Accelerator, e.g. `NVIDIA_TESLA_V100`, `NVIDIA_L4`; none when unset. */
  acceleratorType?: string;
  /** Accelerators per machine. Default 1 when a type is set. */
  acceleratorCount?: number;
  /** Boot disk, GB. Default 100. */
  bootDiskSizeGb?: number;
  /** Config file inside the image. Default `mlops.config.ts`. */
  configFile?: string;
  /** `--set` overrides passed to the remote run. */
  set?: string[];
  /** Stages the remote `mlops run` runs (default: its default, data → export). */
  stages?: string[];
  /** Rerun cached stages remotely (`--force`). */
  force?: boolean;
  /** Data manifests (paths inside the image) to pull and check out before the run. */
  checkout?: string[];
  /** Service account the job runs as (needs the bucket). */
  serviceAccount?: string;
  /** Longest run time, seconds. Default 24 h. */
  timeoutSeconds?: number;
  /** Extra environment variables (plain values; credentials go in `secrets`). */
  env?: Record<string, string>;
  /** Env vars the job entry reads from Secret Manager before the run. */
  secrets?: SecretRef[];
}

/** The subset of the v1 `CustomJob` resource mlops writes. */
export interface VertexCustomJob {
  displayName: string;
  labels: Record<string, string>;
  jobSpec: {
    workerPoolSpecs: {
      machineSpec: { machineType: string; acceleratorType?: string; acceleratorCount?: number };
      replicaCount: string;
      diskSpec: { bootDiskType: string; bootDiskSizeGb: number };
      containerSpec: {
        imageUri: string;
        command: string[];
        args: string[];
        env: { name: string; value: string }[];
      };
    }[];
    serviceAccount?: string;
    scheduling: { timeout: string };
  };
}

/** The request that creates the job; see the module comment. */
export function buildVertexJobRequest(
  options: VertexJobOptions,
  baseUrl = vertexApiBase(options.region),
): ApiRequest<VertexCustomJob> {
  const machine = checkMachineSpec({
    machineType: options.machineType ?? 'n1-standard-8',
    ...(options.acceleratorType ? { acceleratorType: options.acceleratorType } : {}),
    ...(options.acceleratorCount !== undefined ? { acceleratorCount: options.acceleratorCount } : {}),
  });
  refuseCredentials(options.env ?? {}, 'vertex env');
  const secrets = options.secrets ?? [];
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    ...(options.env ?? {}),
    MLOPS_GCP_STORE: 'bucket',
    MLOPS_GCP_REGISTRY: 'bucket',
    MLOPS_GCP_JOB: options.jobId,
    ...(options.checkout?.length ? { MLOPS_GCP_CHECKOUT: options.checkout.join(',') } : {}),
    ...(secrets.length
      ? { [SECRETS_ENV]: secrets.map((r) => `${r.env}=${secretVersionName(r)}`).join(',') }
      : {}),
  };
  for (const ref of secrets) {
    if (ref.env in env) {
      throw new MlopsError('MLOPS_ERR_USAGE', `${ref.env} is given both as an env var and as --secret`, {
        hint: 'Keep one of them.',
      });
    }
  }
  const timeout = options.timeoutSeconds ?? 86_400;
  if (!Number.isInteger(timeout) || timeout < 1) {
    throw new MlopsError(
      'MLOPS_ERR_USAGE',
      `the job timeout must be a positive number of seconds, not ${timeout}`,
      {
        hint: 'e.g. --timeout 6h, --timeout 90m or --timeout 3600s',
      },
    );
  }
  const args = [
    '--config',
    options.configFile ?? 'mlops.config.ts',
    '--set',
    `store.remote=${options.remote}`,
    ...(options.set ?? []).flatMap((s) => ['--set', s]),
    'run',
    ...(options.stages ?? []),
    ...(options.force ? ['--force'] : []),
  ];
  const body: VertexCustomJob = {
    displayName: `mlops-${options.projectName}-${options.jobId}`.slice(0, 128),
    labels: {
      'managed-by': 'mlops',
      'mlops-job': options.jobId
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, '_')
        .slice(0, 63),
    },
    jobSpec: {
      workerPoolSpecs: [
        {
          machineSpec: machine,
          replicaCount: '1',
          diskSpec: { bootDiskType: 'pd-ssd', bootDiskSizeGb: options.bootDiskSizeGb ?? 100 },
          containerSpec: {
            imageUri: options.image,
            command: ['node', JOB_ENTRY],
            args,
            env: Object.entries(env).map(([name, value]) => ({ name, value })),
          },
        },
      ],
      ...(options.serviceAccount ? { serviceAccount: options.serviceAccount } : {}),
      scheduling: { timeout: `${timeout}s` },
    },
  };
  return {
    method: 'POST',
    url: `${baseUrl}/projects/${options.project}/locations/${options.region}/customJobs`,
    body,
  };
}
