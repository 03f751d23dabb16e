/**
 * The `@google-cloud/storage` client as mlops configures it: Application Default Credentials (or
 * none against an emulator), and retries with exponential backoff on 408/429/5xx and network errors
 * for every request — also uploads, which is safe here because every write is either
 * content-addressed (same name, same bytes) or guarded by a generation precondition.
 */
import { IdempotencyStrategy, Storage, type StorageOptions } from '@google-cloud/storage';

/** Retry tuning; defaults suit a real bucket. */
export interface GcsRetryOptions {
  /** Retries after the first attempt. Default 5. */
  maxRetries?: number;
  /** Backoff base: the n-th retry waits `multiplier^n` seconds plus up to 1 s jitter. Default 2. */
  multiplier?: number;
  /** Longest wait between two attempts, seconds. Default 32. */
  maxDelaySeconds?: number;
  /** Give up retrying after this many seconds since the first attempt. Default 600. */
  totalTimeoutSeconds?: number;
}

/** Options of {@link createStorageClient}. */
export interface StorageClientOptions {
  /** Google Cloud project (only needed for operations that create things). */
  projectId?: string;
  /** API endpoint, e.g. an emulator's `http://127.0.0.1:9199`. Default: `STORAGE_EMULATOR_HOST` or Google's. */
  apiEndpoint?: string;
  /** Retry tuning. */
  retry?: GcsRetryOptions;
}

/** True when requests go to a storage emulator (no credentials needed). */
export function usesEmulator(options: StorageClientOptions = {}): boolean {
  return Boolean(options.apiEndpoint ?? process.env.STORAGE_EMULATOR_HOST);
}

/** A Storage client with mlops' retry policy; see the module comment. */
export function createStorageClient(options: StorageClientOptions = {}): Storage {
  const retry = options.retry ?? {};
  const storageOptions: StorageOptions = {
    retryOptions: {
      autoRetry: (retry.maxRetries ?? 5) > 0,
      maxRetries: retry.maxRetries ?? 5,
      retryDelayMultiplier: retry.multiplier ?? 2,
      maxRetryDelay: retry.maxDelaySeconds ?? 32,
      totalTimeout: retry.totalTimeoutSeconds ?? 600,
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    },
  };
  if (options.projectId) storageOptions.projectId = options.projectId;
  if (options.apiEndpoint) storageOptions.apiEndpoint = options.apiEndpoint;
  return new Storage(storageOptions);
}
