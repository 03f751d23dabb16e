/**
 * Submits a CustomJob and follows it: polls `GET {base}/{job.name}` and reports every state change
 * (QUEUED → PENDING → RUNNING → SUCCEEDED) until a terminal state. A failed, cancelled or expired job
 * raises an MlopsError carrying the job's own error message and where its logs are.
 */
import { MlopsError } from '@mlops/core';
import type { ApiRequest } from '../deploy/cloud-run-service.js';
import { type GoogleApiClient, sleep } from '../google-api/google-api-client.js';
import type { VertexCustomJob } from './custom-job.js';

/** The CustomJob fields read while following it. */
export interface VertexJobStatus {
  /** `projects/<n>/locations/<r>/customJobs/<id>`. */
  name: string;
  /** `JOB_STATE_*`. */
  state: string;
  /** Failure details. */
  error?: { code?: number; message?: string };
}

/** Options of {@link runVertexJob}. */
export interface RunVertexJobOptions {
  /** API base, e.g. `https://us-central1-aiplatform.googleapis.com/v1`. */
  baseUrl: string;
  /** Poll interval, ms. Default 15000. */
  pollIntervalMs?: number;
  /** Called on every state change. */
  onState?: (state: string, job: VertexJobStatus) => void;
}

const TERMINAL = new Set([
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED',
  'JOB_STATE_PARTIALLY_SUCCEEDED',
]);

/** Creates the job and waits for it; returns the succeeded job. */
export async function runVertexJob(
  client: GoogleApiClient,
  request: ApiRequest<VertexCustomJob>,
  options: RunVertexJobOptions,
): Promise<VertexJobStatus> {
  let job = await client.request<VertexJobStatus>(
    request.method,
    request.url,
    request.body,
    'Vertex AI job submission',
  );
  let last = '';
  for (;;) {
    if (job.state !== last) {
      last = job.state;
      options.onState?.(job.state, job);
    }
    if (TERMINAL.has(job.state)) break;
    await sleep(options.pollIntervalMs ?? 15_000);
    job = await client.request<VertexJobStatus>(
      'GET',
      `${options.baseUrl}/${job.name}`,
      undefined,
      `Vertex AI job ${job.name}`,
    );
  }
  if (job.state !== 'JOB_STATE_SUCCEEDED') {
    const [, project, region, id] =
      /^projects\/([^/]+)\/locations\/([^/]+)\/customJobs\/(.+)$/.exec(job.name) ?? [];
    throw new MlopsError(
      'MLOPS_ERR_STAGE_FAILED',
      `Vertex AI job ${job.name} ended ${job.state.replace('JOB_STATE_', '')}: ${job.error?.message ?? 'no error message'}`,
      {
        hint: id
          ? `Logs: https://console.cloud.google.com/vertex-ai/locations/${region}/training/${id}/cpu?project=${project}`
          : 'Read the job logs in the Vertex AI console.',
      },
    );
  }
  return job;
}
