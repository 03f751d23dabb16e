/** How failed requests are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 5. */
  attempts: number;
  /** Delay before the first retry, in ms; doubled each time, with jitter. Default 500. */
  baseDelayMs: number;
  /** Cap of one backoff delay, in ms. Default 20000. */
  maxDelayMs: number;
  /**
   * Cap of a wait the server asks for with `Retry-After` (429, 503), in ms. The server's wait is
   * honoured, not shortened to `maxDelayMs`: retrying earlier only earns another 429. Default
   * 300000, the longest sleep of the wandb SDK's file_stream retries (`MAX_SLEEP_SECONDS`).
   */
  maxRetryAfterMs: number;
}

/** The policy used unless one is given. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 300_000,
};

/**
 * HTTP statuses worth retrying: rate limits, timeouts and server errors. The same set the wandb
 * SDK retries for uploads (308/408/409/429/5xx), less 308 which fetch follows itself.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Milliseconds to wait before retry number `retry` (1 for the first retry): exponential with
 * jitter so many clients do not retry in step (capped by `maxDelayMs`), or the server's
 * `Retry-After` (seconds or an HTTP date) when it sent one (capped by `maxRetryAfterMs`).
 */
export function retryDelayMs(
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'> & Partial<Pick<RetryPolicy, 'maxRetryAfterMs'>>,
  retry: number,
  retryAfter?: string | null,
  random: () => number = Math.random,
): number {
  const fromHeader = parseRetryAfter(retryAfter);
  if (fromHeader !== undefined)
    return Math.min(policy.maxRetryAfterMs ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs, fromHeader);
  const exponential = policy.baseDelayMs * 2 ** (retry - 1);
  return Math.min(policy.maxDelayMs, Math.round(exponential / 2 + (random() * exponential) / 2));
}

/** A `Retry-After` header in ms (seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
