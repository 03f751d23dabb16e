/**
 * Stable error codes, in the style of Fastify's `FST_ERR_*`: scripts and tests match on the code,
 * people read the message and the hint.
 */
export type MlopsErrorCode =
  | 'MLOPS_ERR_CONFIG_NOT_FOUND'
  | 'MLOPS_ERR_CONFIG_INVALID'
  | 'MLOPS_ERR_CONFIG_LOAD'
  | 'MLOPS_ERR_PLUGIN_DUPLICATE'
  | 'MLOPS_ERR_PLUGIN_MISSING_DEPENDENCY'
  | 'MLOPS_ERR_PLUGIN_APPLY'
  | 'MLOPS_ERR_SERVICE_MISSING'
  | 'MLOPS_ERR_STAGE_UNKNOWN'
  | 'MLOPS_ERR_STAGE_NO_OUTPUT'
  | 'MLOPS_ERR_STAGE_FAILED'
  | 'MLOPS_ERR_STORE_OBJECT_MISSING'
  | 'MLOPS_ERR_STORE_CORRUPT'
  | 'MLOPS_ERR_RUN_NOT_FOUND'
  | 'MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND'
  | 'MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND'
  | 'MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND'
  | 'MLOPS_ERR_REGISTRY_GATE'
  | 'MLOPS_ERR_REGISTRY_LOCKED'
  | 'MLOPS_ERR_DATA_INVALID'
  | 'MLOPS_ERR_DATA_CORRUPT_IMAGE'
  /** A remote service refused the credentials (HTTP 401/403). */
  | 'MLOPS_ERR_REMOTE_AUTH'
  /** A remote service could not be reached, or kept failing (network, 429, 5xx) after retries. */
  | 'MLOPS_ERR_REMOTE_UNAVAILABLE'
  /** A remote service rejected a request (other 4xx, GraphQL errors). */
  | 'MLOPS_ERR_REMOTE_REQUEST'
  /** A checkpoint file (safetensors, timm config.json) is unreadable or malformed. */
  | 'MLOPS_ERR_CHECKPOINT_INVALID'
  /** A checkpoint does not fit the model: missing, unexpected or mis-shaped tensors. */
  | 'MLOPS_ERR_CHECKPOINT_MISMATCH'
  /** A checkpoint is not on disk and cannot be downloaded (offline, no network, not in the cache). */
  | 'MLOPS_ERR_CHECKPOINT_UNAVAILABLE'
  | 'MLOPS_ERR_USAGE';

/** Options of {@link MlopsError}. */
export interface MlopsErrorOptions {
  /** What the user can do about it, in one sentence. */
  hint?: string;
  /** The file the problem is in, when there is one. */
  file?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error a user can act on: a stable `code`, a one-line message, and where useful the file
 * concerned and a hint naming the fix. The CLI prints `message` (and `hint`) without a stack.
 */
export class MlopsError extends Error {
  /** Stable machine-readable code. */
  readonly code: MlopsErrorCode;
  /** What the user can do about it. */
  readonly hint: string | undefined;
  /** The file concerned, if any. */
  readonly file: string | undefined;

  constructor(code: MlopsErrorCode, message: string, options: MlopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlopsError';
    this.code = code;
    this.hint = options.hint;
    this.file = options.file;
  }
}

/**
 * True when `error` is an {@link MlopsError}, optionally with the given code. Checked by shape
 * (name and an `MLOPS_` code), not `instanceof`: a plugin may bring its own copy of core (another
 * version in its node_modules), and its errors must still print their hint.
 */
export function isMlopsError(error: unknown, code?: MlopsErrorCode): error is MlopsError {
  if (error instanceof MlopsError) return code === undefined || error.code === code;
  if (!(error instanceof Error) || error.name !== 'MlopsError') return false;
  const actual = (error as { code?: unknown }).code;
  return typeof actual === 'string' && actual.startsWith('MLOPS_') && (code === undefined || actual === code);
}
