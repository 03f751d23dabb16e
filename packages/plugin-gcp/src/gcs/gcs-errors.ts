/**
 * Turns errors of the Google client libraries into {@link MlopsError}s a user can act on. The one
 * that matters most is a missing or broken credential: the libraries word it a dozen ways, the user
 * should see one message naming what to set.
 */
import { MlopsError } from '@mlops/core';

/** The hint every credential error carries. */
export const CREDENTIALS_HINT =
  'Set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run `gcloud auth application-default login` (Application Default Credentials); for a local emulator set STORAGE_EMULATOR_HOST.';

/** HTTP status of a client-library error (ApiError.code, GaxiosError.status), if it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, status, response } = error as {
    code?: unknown;
    status?: unknown;
    response?: { status?: unknown };
  };
  if (typeof code === 'number') return code;
  if (typeof status === 'number') return status;
  if (typeof response?.status === 'number') return response.status;
  return undefined;
}

/** True for a failed `ifGenerationMatch` precondition (HTTP 412). */
export function isPreconditionFailed(error: unknown): boolean {
  return httpStatusOf(error) === 412;
}

/** True for HTTP 404. */
export function isNotFound(error: unknown): boolean {
  return httpStatusOf(error) === 404;
}

const CREDENTIAL_MESSAGES = [
  /could not load the default credentials/i,
  /GOOGLE_APPLICATION_CREDENTIALS/,
  /invalid_grant/i,
  /invalid_client/i,
  /unable to detect a project id/i,
  /private key/i,
  /the incoming json object does not contain a client_email/i,
  /no access, refresh token, api key or refresh handler/i,
];

/** True when `error` says the credentials are absent, unreadable or rejected. */
export function isCredentialError(error: unknown): boolean {
  if (httpStatusOf(error) === 401) return true;
  const message = error instanceof Error ? error.message : String(error);
  if (CREDENTIAL_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // google-auth-library reads GOOGLE_APPLICATION_CREDENTIALS itself; a bad path surfaces as ENOENT.
  const path = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  return Boolean(path && message.includes(path));
}

/** The one credential error: what failed, the library's reason, and what to set. */
export function credentialError(what: string, cause: unknown): MlopsError {
  const reason = reasonOf(cause);
  const key = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  const source = key
    ? `GOOGLE_APPLICATION_CREDENTIALS=${key}`
    : 'Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS is not set)';
  return new MlopsError(
    'MLOPS_ERR_REMOTE_AUTH',
    `Google Cloud credentials from ${source} are missing or invalid, so ${what} failed: ${reason}`,
    { hint: CREDENTIALS_HINT, cause },
  );
}

/**
 * Maps a client-library error raised while doing `what` (e.g. `upload to gs://b/p`): credential
 * problems, permission refusals and missing buckets become MlopsErrors; MlopsErrors pass through;
 * anything else is wrapped with `what` in its message.
 */
export function toMlopsError(what: string, error: unknown): Error {
  if (error instanceof MlopsError) return error;
  if (isCredentialError(error)) return credentialError(what, error);
  const status = httpStatusOf(error);
  const reason = reasonOf(error);
  if (status === 403) {
    return new MlopsError('MLOPS_ERR_REMOTE_AUTH', `permission denied: ${what}: ${reason}`, {
      hint: 'Grant the credential roles/storage.objectAdmin on the bucket (and run.admin / aiplatform.user for deploy and Vertex jobs).',
      cause: error,
    });
  }
  if (status === 404 && /bucket/i.test(reason)) {
    return new MlopsError('MLOPS_ERR_CONFIG_INVALID', `${what}: the bucket does not exist (${reason})`, {
      hint: 'Create it (`gcloud storage buckets create gs://<bucket>`) or fix store.remote in mlops.config.ts.',
      cause: error,
    });
  }
  const transient = status === undefined || status === 408 || status === 429 || status >= 500;
  return new MlopsError(
    transient ? 'MLOPS_ERR_REMOTE_UNAVAILABLE' : 'MLOPS_ERR_REMOTE_REQUEST',
    `${what} failed${status ? ` (HTTP ${status})` : ''}: ${reason}`,
    {
      hint: transient
        ? 'It was retried with backoff already; check the network and the bucket, then run the command again.'
        : 'Fix what the message names and run the command again.',
      cause: error,
    },
  );
}

/**
 * The first line of a client-library error that says something: the library's ApiError opens
 * with "Multiple errors occurred during the request..." when the server's messages differ, and
 * lists them (`    1. ...`) on the lines after.
 */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const first = lines[0] ?? '';
  if (!first.startsWith('Multiple errors occurred')) return first;
  return lines[1]?.replace(/^\d+\.\s*/, '') ?? first;
}
