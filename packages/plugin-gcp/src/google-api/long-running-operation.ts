/**
 * Waiting on a google.longrunning.Operation (what Cloud Run's create/patch, Cloud Build's
 * builds.create and Artifact Registry's repositories.create return): poll
 * `GET {base}/{operation.name}` until `done`, then return its `response` or raise its `error`.
 */
import { gcpErrors } from '../errors.js';
import { type GoogleApiClient, sleep } from './google-api-client.js';

/** The JSON shape of an Operation. */
export interface LongRunningOperation<T> {
  /** `projects/.../locations/.../operations/<id>`. */
  name: string;
  /** True when finished. */
  done?: boolean;
  /** The failure, when done and failed. */
  error?: { code?: number; message?: string };
  /** Service-specific progress, e.g. Cloud Build's `{ build: {...} }`. */
  metadata?: Record<string, unknown>;
  /** The result, when done and succeeded. */
  response?: T;
}

/** Options of {@link waitForOperation}. */
export interface WaitOptions {
  /** Poll interval, ms. Default 2000. */
  intervalMs?: number;
  /** Give up after, ms. Default 15 minutes. */
  timeoutMs?: number;
  /** Called after each poll. */
  onPoll?: (operation: LongRunningOperation<unknown>) => void | Promise<void>;
  /** What to do when the operation fails, for the error's hint. */
  failureHint?: string;
}

/** Polls until the operation is done; see the module comment. */
export async function waitForOperation<T>(
  client: GoogleApiClient,
  baseUrl: string,
  operation: LongRunningOperation<T>,
  what: string,
  options: WaitOptions = {},
): Promise<T> {
  const started = Date.now();
  let current = operation;
  while (!current.done) {
    if (Date.now() - started > (options.timeoutMs ?? 15 * 60_000)) {
      throw gcpErrors.create(
        'MLOPS_GCP_ERR_OPERATION',
        `${what}: operation ${current.name} is still running after ${Math.round((Date.now() - started) / 1000)} s`,
        {
          hint: 'It may still finish; check it in the Google Cloud console, then rerun.',
        },
      );
    }
    await sleep(options.intervalMs ?? 2000);
    current = await client.request<LongRunningOperation<T>>(
      'GET',
      `${baseUrl}/${current.name}`,
      undefined,
      `${what} (polling ${current.name})`,
    );
    await options.onPoll?.(current);
  }
  if (current.error) {
    throw gcpErrors.create(
      'MLOPS_GCP_ERR_OPERATION',
      `${what} failed: ${current.error.message ?? `code ${current.error.code}`}`,
      {
        hint:
          options.failureHint ??
          'Fix what the message names (image, permissions, quota) and run the command again.',
      },
    );
  }
  return current.response as T;
}
