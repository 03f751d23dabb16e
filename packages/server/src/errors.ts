/** Stable error codes of the server's JSON error responses. */
export type ServerErrorCode =
  | 'MLOPS_SRV_ERR_MISSING_FILE'
  | 'MLOPS_SRV_ERR_UNSUPPORTED_TYPE'
  | 'MLOPS_SRV_ERR_BAD_IMAGE'
  | 'MLOPS_SRV_ERR_TOO_MANY_PIXELS'
  | 'MLOPS_SRV_ERR_BAD_REQUEST'
  | 'MLOPS_SRV_ERR_BAD_BASE64'
  | 'MLOPS_SRV_ERR_TOO_MANY_IMAGES'
  | 'MLOPS_SRV_ERR_PAYLOAD_TOO_LARGE'
  | 'MLOPS_SRV_ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'MLOPS_SRV_ERR_MODEL_NOT_FOUND'
  | 'MLOPS_SRV_ERR_ROUTE_NOT_FOUND'
  | 'MLOPS_SRV_ERR_MODEL_UNAVAILABLE'
  | 'MLOPS_SRV_ERR_NOT_READY'
  | 'MLOPS_SRV_ERR_NO_DECODER'
  | 'MLOPS_SRV_ERR_UNAUTHORIZED'
  | 'MLOPS_SRV_ERR_GATE_REFUSED'
  | 'MLOPS_SRV_ERR_INTERNAL';

/** An error answered as `{ "message", "status-code", "code" }` with its HTTP status. */
export class ServerError extends Error {
  /** Stable machine-readable code. */
  readonly code: ServerErrorCode;
  /** HTTP status. */
  readonly statusCode: number;

  constructor(statusCode: number, code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServerError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

/** The JSON body of every error response. */
export interface ErrorBody {
  /** Human-readable message (never a stack trace). */
  message: string;
  /** HTTP status, repeated in the body like the legacy API's success responses. */
  'status-code': number;
  /** Stable machine-readable code. */
  code: ServerErrorCode;
}

/** True when `error` looks like a registry "not found" error (model, version or alias). */
export function isRegistryNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('MLOPS_ERR_REGISTRY_') && code.endsWith('_NOT_FOUND');
}

/**
 * The 413 for a body over `limit` bytes, naming the limit and the option that sets it (a client can
 * shrink the image; an operator can raise `bodyLimit`).
 */
export function payloadTooLarge(limit: number | undefined, options?: { cause?: unknown }): ServerError {
  const mib = limit === undefined ? 0 : limit / 2 ** 20;
  const size =
    limit === undefined
      ? 'the size limit'
      : mib >= 1
        ? `the ${Number.isInteger(mib) ? mib : mib.toFixed(1)} MB limit (${limit} bytes)`
        : `the limit of ${limit} bytes`;
  return new ServerError(
    413,
    'MLOPS_SRV_ERR_PAYLOAD_TOO_LARGE',
    `The upload is over ${size}; send a smaller image (server option bodyLimit).`,
    options,
  );
}
