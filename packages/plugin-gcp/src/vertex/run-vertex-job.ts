/**
 * Submits a CustomJob and follows it: prints the job's console page and its logs as soon as it is
 * created, polls `GET {base}/{job.name}` and reports every state change (QUEUED → PENDING →
 * RUNNING → SUCCEEDED) until a terminal state. Aborting the signal (the command wires Ctrl-C to
 * it) cancels the job (`customJobs.cancel`) and waits until Vertex AI says it is cancelled, so a
 * GPU is not left running. A failed, cancelled or expired job raises an MlopsError carrying the
 * job's own error message and where its logs are.
 */

import type { ApiRequest } from '../deploy/cloud-run-service.js';
import { gcpErrors } from '../errors.js';
import { vertexJobLogsUrl, vertexJobUrl } from '../google-api/console-links.js';
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
  /** Project id, for the console links. */
  project?: string;
  /** Poll interval, ms. Default 15000. */
  pollIntervalMs?: number;
  /** Called on every state change. */
  onState?: (state: string, job: VertexJobStatus) => void;
  /** Called once the job exists, with its console page and logs links. */
  onSubmitted?: (job: VertexJobStatus, links: { console?: string; logs?: string }) => void;
  /** Aborting it cancels the job. */
  signal?: AbortSignal;
  /** Called when the cancellation was requested. */
  onCancel?: (job: VertexJobStatus) => void;
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
  let job = (await client.request<VertexJobStatus>(
    request.method,
    request.url,
    request.body,
    'Vertex AI job submission',
    { role: 'roles/aiplatform.user' },
  )) as VertexJobStatus;
  const project = options.project ?? /\/projects\/([^/]+)\//.exec(request.url)?.[1] ?? '';
  const links = { console: vertexJobUrl(job.name, project), logs: vertexJobLogsUrl(job.name, project) };
  options.onSubmitted?.(job, links);
  let last = '';
  let cancelled = false;
  for (;;) {
    if (job.state !== last) {
      last = job.state;
      options.onState?.(job.state, job);
    }
    if (TERMINAL.has(job.state)) break;
    if (options.signal?.aborted && !cancelled) {
      cancelled = true;
      await client.request(
        'POST',
        `${options.baseUrl}/${job.name}:cancel`,
        {},
        `cancel Vertex AI job ${job.name}`,
        { role: 'roles/aiplatform.user' },
      );
      options.onCancel?.(job);
    }
    await sleep(options.pollIntervalMs ?? 15_000, options.signal && !cancelled ? options.signal : undefined);
    job = (await client.request<VertexJobStatus>(
      'GET',
      `${options.baseUrl}/${job.name}`,
      undefined,
      `Vertex AI job ${job.name}`,
    )) as VertexJobStatus;
  }
  if (job.state !== 'JOB_STATE_SUCCEEDED') {
    throw gcpErrors.create(
      'MLOPS_GCP_ERR_VERTEX_JOB',
      cancelled
        ? `Vertex AI job ${job.name} was cancelled at your request (${job.state.replace('JOB_STATE_', '')})`
        : `Vertex AI job ${job.name} ended ${job.state.replace('JOB_STATE_', '')}: ${job.error?.message ?? 'no error message'}`,
      {
        hint: links.logs
          ? `Logs: ${links.logs}  Job: ${links.console}`
          : 'Read the job logs in the Vertex AI console.',
      },
    );
  }
  return job;
}
