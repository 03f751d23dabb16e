import { type Logger, MlopsError, silentLogger } from '@mlops/core';
import { Redactor } from '../auth/redactor.js';
import {
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
  retryDelayMs,
} from './retry-policy.js';

/** Options of {@link WandbClient}. */
export interface WandbClientOptions {
  /** API root, e.g. `https://api.wandb.ai` (`WANDB_BASE_URL`). */
  baseUrl: string;
  /** The API key; sent only to `baseUrl`, never to signed upload URLs. */
  apiKey: string;
  /** Retry policy; default {@link DEFAULT_RETRY_POLICY}. */
  retry?: Partial<RetryPolicy>;
  /** Where retries are reported (debug). */
  logger?: Logger;
  /** Per-request timeout in ms. Default 60000. */
  timeoutMs?: number;
}

/**
 * The body of a `file_stream` request (W&B's run streaming endpoint). `{}` is a heartbeat: it
 * tells W&B the run is alive when there is nothing to send (wandb-core sends exactly that).
 */
export interface FileStreamBody {
  /** Files by name: `content` lines written starting at line `offset`. */
  files?: Record<string, { offset: number; content: string[] }>;
  /** Set on the last request of a run. */
  complete?: boolean;
  /** Exit code of the run, with `complete`. */
  exitcode?: number;
}

/**
 * What W&B answers to a `file_stream` request. `stopped: true` means someone asked for the run to
 * stop (the Stop button in the W&B UI); wandb-core reads it (`filestream.startProcessingFeedback`)
 * and the SDK then interrupts the script. `limits` may carry `heartbeat_seconds` (the legacy SDK
 * applies it to its dynamic settings). Unknown fields are kept.
 */
export interface FileStreamResponse {
  /** The run was asked to stop. */
  stopped?: boolean;
  /** The exit code W&B holds for the run (null while it runs); not a stop signal. */
  exitcode?: number | null;
  /** Server-side limits, e.g. `heartbeat_seconds`. */
  limits?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Where a run lives on W&B. */
export interface RunPath {
  /** Entity (user or team). */
  entity: string;
  /** Project. */
  project: string;
  /** Run name (the id in W&B URLs). */
  run: string;
}

interface GraphqlResponse<T> {
  data?: T;
  errors?: { message?: string }[];
}

/**
 * The HTTP side of W&B: GraphQL at `/graphql`, the run `file_stream`, and signed-URL uploads and
 * downloads. Retries network errors, 408/409/429 and 5xx with backoff (honouring `Retry-After`),
 * and turns failures into {@link MlopsError}s whose messages never contain the key.
 */
export class WandbClient {
  /** API root without a trailing slash. */
  readonly baseUrl: string;
  readonly #authorization: string;
  readonly #redactor: Redactor;
  readonly #retry: RetryPolicy;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  /** Per endpoint (`graphql`, `file_stream`): no request before this time (epoch ms), after a 429. */
  readonly #coolDown = new Map<string, number>();

  /** A client for `options.baseUrl` that authenticates with `options.apiKey`. */
  constructor(options: WandbClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#authorization = `Basic ${Buffer.from(`api:${options.apiKey}`).toString('base64')}`;
    this.#redactor = new Redactor(options.apiKey);
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#logger = options.logger ?? silentLogger;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Runs a GraphQL operation; returns `data`, or throws on HTTP or GraphQL errors. */
  async graphql<T>(operationName: string, query: string, variables: Record<string, unknown>): Promise<T> {
    const url = `${this.baseUrl}/graphql`;
    const response = await this.#send(
      url,
      `GraphQL ${operationName}`,
      {
        method: 'POST',
        headers: { authorization: this.#authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ operationName, query, variables: dropUndefined(variables) }),
      },
      'graphql',
    );
    const body = (await response.json()) as GraphqlResponse<T>;
    if (body.errors?.length || body.data === undefined) {
      const messages = (body.errors ?? []).map((e) => e.message ?? 'unknown error').join('; ');
      throw new MlopsError(
        'MLOPS_ERR_REMOTE_REQUEST',
        this.#redactor.redact(
          `W&B refused GraphQL ${operationName}: ${messages || 'no data in the response'}`,
        ),
        { hint: 'Check the entity and project names and that the key may write to them.' },
      );
    }
    return body.data;
  }

  /**
   * Posts to the run's `file_stream` (history lines, summary, completion, or `{}` as a heartbeat)
   * and returns W&B's answer ({@link FileStreamResponse}: whether the run was asked to stop).
   */
  async fileStream(path: RunPath, body: FileStreamBody): Promise<FileStreamResponse> {
    const url = `${this.baseUrl}/files/${enc(path.entity)}/${enc(path.project)}/${enc(path.run)}/file_stream`;
    const response = await this.#send(
      url,
      'file_stream',
      {
        method: 'POST',
        headers: { authorization: this.#authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      'file_stream',
    );
    const text = await response.text();
    try {
      const parsed = JSON.parse(text) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as FileStreamResponse)
        : {};
    } catch {
      return {};
    }
  }

  /**
   * Milliseconds until W&B accepts requests to `endpoint` again after a 429 with `Retry-After`
   * (0 when it does now). Background work uses it to skip a pass instead of queueing behind it.
   */
  coolingDownMs(endpoint: 'graphql' | 'file_stream'): number {
    return Math.max(0, (this.#coolDown.get(endpoint) ?? 0) - Date.now());
  }

  /**
   * PUTs bytes to a signed upload URL with the headers W&B returned (`"Name: value"` strings).
   * The API key is not sent: the URL itself carries the permission, and it may point at a bucket.
   */
  async upload(url: string, bytes: Uint8Array, headers: readonly string[] = []): Promise<void> {
    const parsed: Record<string, string> = {};
    for (const header of headers) {
      const colon = header.indexOf(':');
      if (colon > 0) parsed[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    }
    const response = await this.#send(url, 'upload', { method: 'PUT', headers: parsed, body: bytes });
    await response.arrayBuffer();
  }

  /** GETs a file; the key is sent only when the URL is on the API host itself. */
  async download(url: string): Promise<Buffer> {
    const sameOrigin = new URL(url, this.baseUrl).origin === new URL(this.baseUrl).origin;
    const response = await this.#send(url, 'download', {
      method: 'GET',
      headers: sameOrigin ? { authorization: this.#authorization } : {},
    });
    return Buffer.from(await response.arrayBuffer());
  }

  async #send(url: string, what: string, init: RequestInit, endpoint?: string): Promise<Response> {
    const shownUrl = redactQuery(url);
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.#retry.attempts; attempt++) {
      // A 429 told every request to this endpoint to wait, not only the one that got it.
      const wait = endpoint ? (this.#coolDown.get(endpoint) ?? 0) - Date.now() : 0;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      let response: Response | undefined;
      try {
        response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
      } catch (error) {
        lastProblem = describeNetworkError(error);
      }
      if (response?.ok) return response;
      if (response && (response.status === 401 || response.status === 403)) {
        await response.arrayBuffer().catch(() => undefined);
        throw new MlopsError(
          'MLOPS_ERR_REMOTE_AUTH',
          `W&B rejected the API key (HTTP ${response.status}) for ${what} at ${shownUrl}`,
          {
            hint: `Set WANDB_API_KEY to a valid key (or the password of "machine ${new URL(this.baseUrl).host}" in ~/.netrc); keys are at https://wandb.ai/authorize.`,
          },
        );
      }
      if (response && !isRetryableStatus(response.status)) {
        const text = await response.text().catch(() => '');
        throw new MlopsError(
          'MLOPS_ERR_REMOTE_REQUEST',
          this.#redactor.redact(
            `W&B refused ${what} at ${shownUrl}: HTTP ${response.status}${text ? ` ${text.slice(0, 300)}` : ''}`,
          ),
          { hint: 'Check the entity, project and names in the wandb() plugin options.' },
        );
      }
      let retryAfter: string | null = null;
      if (response) {
        retryAfter = response.headers.get('retry-after');
        lastProblem = `HTTP ${response.status}`;
        await response.arrayBuffer().catch(() => undefined);
        const askedMs = parseRetryAfter(retryAfter);
        if (endpoint && response.status === 429 && askedMs !== undefined) {
          const until = Date.now() + Math.min(askedMs, this.#retry.maxRetryAfterMs);
          this.#coolDown.set(endpoint, Math.max(until, this.#coolDown.get(endpoint) ?? 0));
        }
      }
      if (attempt < this.#retry.attempts) {
        const delay = retryDelayMs(this.#retry, attempt, retryAfter);
        this.#logger.debug(`W&B ${what}: ${lastProblem}; retry ${attempt} in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    throw new MlopsError(
      'MLOPS_ERR_REMOTE_UNAVAILABLE',
      this.#redactor.redact(
        `W&B ${what} at ${shownUrl} failed ${this.#retry.attempts} times (last: ${lastProblem})`,
      ),
      {
        hint: 'Check the network and WANDB_BASE_URL; to keep working without W&B set WANDB_MODE=offline and run `mlops wandb sync` later.',
      },
    );
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** A signed URL's query is a credential too: show only origin and path. */
function redactQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (error.name === 'TimeoutError') return 'timed out';
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

function dropUndefined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}
