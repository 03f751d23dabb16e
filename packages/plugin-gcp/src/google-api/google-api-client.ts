/**
 * A small JSON client for Google REST APIs (Cloud Run Admin v2, Vertex AI v1, Cloud Build v1,
 * Artifact Registry v1, Cloud Monitoring v3, Secret Manager v1): bearer token from
 * Application Default Credentials, retries with exponential backoff and jitter on 429/5xx and
 * network errors (honouring Retry-After), and Google's error body turned into an MlopsError.
 * `fetch` and the token source are injectable, so tests drive it against a local server.
 */
import { MlopsError } from '@mlops/core';
import { credentialError } from '../gcs/gcs-errors.js';

/** Something that yields OAuth2 access tokens (google-auth-library's GoogleAuth fits). */
export interface AccessTokenSource {
  /** A current token. */
  getAccessToken(): Promise<string | null | undefined>;
}

/** Retry tuning of {@link GoogleApiClient}. */
export interface ApiRetryOptions {
  /** Retries after the first attempt. Default 5. */
  maxRetries?: number;
  /** First backoff, ms; doubles each retry. Default 500. */
  baseDelayMs?: number;
  /** Longest backoff, ms. Default 30000. */
  maxDelayMs?: number;
}

/** Options of {@link GoogleApiClient}. */
export interface GoogleApiClientOptions {
  /** Token source; requests carry `Authorization: Bearer <token>`. */
  tokens: AccessTokenSource;
  /** The fetch to use. Default the global one. */
  fetch?: typeof fetch;
  /** Retry tuning. */
  retry?: ApiRetryOptions;
}

/** Per-request settings of {@link GoogleApiClient.request}. */
export interface ApiRequestOptions {
  /** Answer `undefined` instead of raising when the API says 404 (a lookup of something optional). */
  allowNotFound?: boolean;
  /** The IAM role the call needs, named in the permission-denied hint. */
  role?: string;
}

/** An API's refusal: an {@link MlopsError} that also carries the HTTP status. */
export class GoogleApiError extends MlopsError {
  /** HTTP status of the answer, e.g. 409 for a conflict. */
  readonly status: number;

  /** See {@link MlopsError}; `status` is the HTTP status. */
  constructor(status: number, ...args: ConstructorParameters<typeof MlopsError>) {
    super(...args);
    this.status = status;
  }
}

/** True when `error` is a {@link GoogleApiError} with HTTP status `status`. */
export function isApiStatus(error: unknown, status: number): boolean {
  return error instanceof GoogleApiError && error.status === status;
}

/** Google's JSON error body. */
interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string };
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

/** See the module comment. */
export class GoogleApiClient {
  private readonly tokens: AccessTokenSource;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  /** A client; no request is made until the first call. */
  constructor(options: GoogleApiClientOptions) {
    this.tokens = options.tokens;
    this.fetchImpl = options.fetch ?? fetch;
    this.maxRetries = options.retry?.maxRetries ?? 5;
    this.baseDelayMs = options.retry?.baseDelayMs ?? 500;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
  }

  /** Sends a JSON request and parses the JSON answer; `what` names the action in errors. */
  async request<T>(method: string, url: string, body: unknown, what: string): Promise<T>;
  /** The same; with `allowNotFound`, a 404 answers `undefined`. */
  async request<T>(
    method: string,
    url: string,
    body: unknown,
    what: string,
    options: ApiRequestOptions,
  ): Promise<T | undefined>;
  async request<T>(
    method: string,
    url: string,
    body: unknown,
    what: string,
    options: ApiRequestOptions = {},
  ): Promise<T | undefined> {
    const token = await this.token(what);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'user-agent': 'mlops-plugin-gcp',
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (error) {
        if (attempt < this.maxRetries) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new MlopsError(
          'MLOPS_ERR_REMOTE_UNAVAILABLE',
          `${what} failed: ${(error as Error).message} (${url})`,
          {
            hint: 'Check the network connection and the API endpoint, then try again.',
            cause: error,
          },
        );
      }
      if (response.ok) return (await response.json()) as T;
      if (response.status === 404 && options.allowNotFound) {
        await response.body?.cancel();
        return undefined;
      }
      if (RETRYABLE.has(response.status) && attempt < this.maxRetries) {
        await response.body?.cancel();
        await sleep(retryAfterMs(response) ?? this.backoff(attempt));
        continue;
      }
      throw await apiError(what, url, response, options.role);
    }
  }

  private async token(what: string): Promise<string> {
    let token: string | null | undefined;
    try {
      token = await this.tokens.getAccessToken();
    } catch (error) {
      throw credentialError(what, error);
    }
    if (!token) throw credentialError(what, new Error('the credential yielded no access token'));
    return token;
  }

  private backoff(attempt: number): number {
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
    return delay / 2 + Math.random() * (delay / 2);
  }
}

async function apiError(
  what: string,
  url: string,
  response: Response,
  role: string | undefined,
): Promise<MlopsError> {
  const text = await response.text();
  let message = text.slice(0, 500);
  try {
    message = (JSON.parse(text) as GoogleErrorBody).error?.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  if (response.status === 401) return credentialError(what, new Error(message));
  if (response.status === 403) {
    return new GoogleApiError(403, 'MLOPS_ERR_REMOTE_AUTH', `permission denied: ${what}: ${message}`, {
      hint: role
        ? `Enable the API in the project and grant the credential ${role}.`
        : 'Enable the API in the project and grant the credential its role (roles/run.admin for Cloud Run, roles/aiplatform.user for Vertex AI).',
    });
  }
  const code = RETRYABLE.has(response.status) ? 'MLOPS_ERR_REMOTE_UNAVAILABLE' : 'MLOPS_ERR_REMOTE_REQUEST';
  return new GoogleApiError(response.status, code, `${what} failed (HTTP ${response.status}): ${message}`, {
    hint: `The request went to ${url}; fix what the message names and run the command again (--dry-run prints the request body).`,
  });
}

function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? Math.min(seconds * 1000, 60_000) : undefined;
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
