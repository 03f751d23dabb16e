import { defineErrorCatalogue } from '@mlops/core';

/**
 * Every code the server answers with, declared once with its meaning and HTTP status (the
 * catalogue `docs/errors.md` is generated from). Call sites pick a code and write the message for
 * the case at hand: `new ServerError('MLOPS_SRV_ERR_…', message)`; the status comes from here.
 */
export const serverErrors = defineErrorCatalogue('@mlops/server', {
  MLOPS_SRV_ERR_MISSING_FILE: {
    status: 422,
    meaning:
      'A predict request carried no image: no `image_file` part (or not multipart at all) on the legacy routes, no image at all on `/v1`.',
    hint: 'Send the image as multipart/form-data field `image_file` (or, on `/v1`, an image/* body or JSON base64).',
  },
  MLOPS_SRV_ERR_UNSUPPORTED_TYPE: {
    status: 400,
    meaning: 'The uploaded file is not one of the accepted image types (PNG, JPEG, WebP, SVG).',
  },
  MLOPS_SRV_ERR_BAD_IMAGE: {
    status: 400,
    meaning: 'The decoder rejected the image bytes (corrupt or truncated file).',
  },
  MLOPS_SRV_ERR_TOO_MANY_PIXELS: {
    status: 400,
    meaning:
      'The image (by its header, or once decoded) has more pixels than the server option `maxPixels` allows; decompression bombs are refused before decoding.',
  },
  MLOPS_SRV_ERR_BAD_REQUEST: {
    status: 400,
    meaning:
      'A malformed request: a broken multipart body, invalid query parameters (e.g. `topk=0`), a bad JSON body, other client errors.',
  },
  MLOPS_SRV_ERR_BAD_BASE64: {
    status: 400,
    meaning: 'An image of a JSON predict body is not a non-empty base64 (or base64url, or data URL) string.',
  },
  MLOPS_SRV_ERR_TOO_MANY_IMAGES: {
    status: 413,
    meaning: 'A `/v1` predict request sent more images than the server option `maxBatch` allows.',
  },
  MLOPS_SRV_ERR_PAYLOAD_TOO_LARGE: {
    status: 413,
    meaning: 'The upload is larger than the server option `bodyLimit`.',
  },
  MLOPS_SRV_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning:
      'A `/v1` route got a body type it does not read (the legacy routes answer `MLOPS_SRV_ERR_MISSING_FILE` instead, as FastAPI did).',
  },
  MLOPS_SRV_ERR_MODEL_NOT_FOUND: {
    status: 404,
    meaning: 'Unknown model, no version carries the alias, or an unknown `?version=`.',
    hint: 'Promote a version: `mlops registry promote <model> <version> <alias>`.',
  },
  MLOPS_SRV_ERR_ROUTE_NOT_FOUND: { status: 404, meaning: 'No route has this method and path.' },
  MLOPS_SRV_ERR_ARTIFACT_NOT_FOUND: {
    status: 404,
    meaning:
      'The version has no such artifact (no ONNX file for the web page, no such sample image), or the server has no artifact store.',
  },
  MLOPS_SRV_ERR_WEB_RUNTIME_MISSING: {
    status: 404,
    meaning:
      'The web page asked for an onnxruntime-web file (`/ui/ort/…`), but that optional peer dependency is not installed: the page shows the server’s answer only.',
    hint: 'Install it next to @mlops/server (`npm install onnxruntime-web`) and restart the server to run the model in the browser too.',
  },
  MLOPS_SRV_ERR_MODEL_UNAVAILABLE: {
    status: 503,
    meaning:
      'The runtime failed to load the model version (the error is in the server log); the next request tries again.',
  },
  MLOPS_SRV_ERR_NOT_READY: {
    status: 503,
    meaning: "`/readyz` before the server's alias (default `production`) is loaded.",
  },
  MLOPS_SRV_ERR_NO_DECODER: {
    status: 501,
    meaning: 'The server was created without a `decode` option, so it cannot read images.',
    hint: 'Pass `decode` to createServer (e.g. `decodeImageBytes` of @mlops/plugin-tfjs); `mlops serve` does.',
  },
  MLOPS_SRV_ERR_UNAUTHORIZED: {
    status: 401,
    meaning: 'A promotion request without the right `Authorization: Bearer <token>`.',
  },
  MLOPS_SRV_ERR_GATE_REFUSED: {
    status: 409,
    meaning: 'The evaluation gate refused a promotion (the candidate is not better than the holder).',
    hint: 'Send `"force": true` to promote anyway.',
  },
  MLOPS_SRV_ERR_INTERNAL: {
    status: 500,
    meaning: 'Anything else: logged on the server, details not sent.',
  },
});

/** Stable error codes of the server's JSON error responses ({@link serverErrors}). */
export type ServerErrorCode = (typeof serverErrors.codes)[number];

/** The HTTP status {@link serverErrors} declares for `code`. */
export function statusOf(code: ServerErrorCode): number {
  // Every entry declares a status; 500 only guards a catalogue edited without one.
  return serverErrors.entries[code].status ?? 500;
}

/**
 * An error answered as `{ "message", "status-code", "code" }`; its HTTP status is the one the
 * catalogue declares for the code.
 */
export class ServerError extends Error {
  /** Stable machine-readable code. */
  readonly code: ServerErrorCode;
  /** HTTP status, from {@link serverErrors}. */
  readonly statusCode: number;

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServerError';
    this.code = code;
    this.statusCode = statusOf(code);
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

/** The JSON body answered for `error`. */
export function errorBody(error: ServerError): ErrorBody {
  return { message: error.message, 'status-code': error.statusCode, code: error.code };
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
    'MLOPS_SRV_ERR_PAYLOAD_TOO_LARGE',
    `The upload is over ${size}; send a smaller image (server option bodyLimit).`,
    options,
  );
}
