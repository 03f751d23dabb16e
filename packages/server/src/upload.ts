import type { ImageInput } from '@mlops/core';
import type { FastifyRequest } from 'fastify';
import { payloadTooLarge, ServerError } from './errors.js';
import { DEFAULT_MAX_PIXELS, readImageDimensions } from './image-header.js';

/** Decodes image bytes of an accepted MIME type into pixels; rejects undecodable input. */
export type ImageDecoder = (bytes: Uint8Array, mimeType: string) => Promise<ImageInput>;

/** MIME types accepted by the predict routes. */
export const ACCEPTED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/svg+xml', 'image/webp'] as const;

/** Multipart file field of the legacy predict routes. */
export const LEGACY_FILE_FIELD = 'image_file';

const TYPE_ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/svg': 'image/svg+xml',
  'image/x-png': 'image/png',
};

function normalizeType(mimeType: string): string {
  const base = mimeType.split(';')[0]!.trim().toLowerCase();
  return TYPE_ALIASES[base] ?? base;
}

/** Guesses the type of an upload sent as `application/octet-stream` from its first bytes. */
function sniffType(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  const head = Buffer.from(bytes.subarray(0, 12)).toString('latin1');
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'image/webp';
  const text = Buffer.from(bytes.subarray(0, 256)).toString('utf8').trimStart();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'image/svg+xml';
  return undefined;
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ServerError(
      'MLOPS_SRV_ERR_TOO_MANY_PIXELS',
      `The image is ${width}×${height} (${width * height} pixels); at most ${maxPixels} pixels are accepted (server option maxPixels).`,
    );
  }
}

/**
 * Checks the type of an uploaded image (sniffing `application/octet-stream`) and decodes it,
 * answering the server's 400/501 errors for unsupported types, missing decoder or bad bytes.
 */
export async function decodeUpload(
  file: { bytes: Uint8Array; mimeType: string },
  decode: ImageDecoder | undefined,
  maxPixels: number = DEFAULT_MAX_PIXELS,
): Promise<ImageInput> {
  let mimeType = normalizeType(file.mimeType);
  if (mimeType === 'application/octet-stream' || mimeType === '')
    mimeType = sniffType(file.bytes) ?? mimeType;
  if (!(ACCEPTED_IMAGE_TYPES as readonly string[]).includes(mimeType)) {
    throw new ServerError(
      'MLOPS_SRV_ERR_UNSUPPORTED_TYPE',
      `Unsupported file type "${file.mimeType}"; accepted types: ${ACCEPTED_IMAGE_TYPES.join(', ')}.`,
    );
  }
  if (!decode) {
    throw new ServerError('MLOPS_SRV_ERR_NO_DECODER', 'No image decoder is configured on this server.');
  }
  // Refuse decompression bombs from the header, before the decoder allocates their pixels.
  const declared = readImageDimensions(file.bytes, mimeType);
  if (declared) checkPixels(declared.width, declared.height, maxPixels);
  let image: ImageInput;
  try {
    image = await decode(file.bytes, mimeType);
  } catch (error) {
    throw new ServerError('MLOPS_SRV_ERR_BAD_IMAGE', 'The image could not be decoded.', {
      cause: error,
    });
  }
  if (
    !image ||
    !(image.data instanceof Uint8Array) ||
    image.width <= 0 ||
    image.height <= 0 ||
    image.data.length !== image.width * image.height * image.channels
  ) {
    throw new ServerError('MLOPS_SRV_ERR_BAD_IMAGE', 'The image could not be decoded.');
  }
  // Headers this server cannot read (or that lie) are checked after decoding.
  checkPixels(image.width, image.height, maxPixels);
  return image;
}

/** Reads the `image_file` part of a multipart request, draining any other part. */
export async function readImageFile(
  request: FastifyRequest,
): Promise<{ bytes: Uint8Array; mimeType: string } | undefined> {
  if (!request.isMultipart()) return undefined;
  let found: { bytes: Uint8Array; mimeType: string } | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname === LEGACY_FILE_FIELD && !found) {
        found = { bytes: await part.toBuffer(), mimeType: part.mimetype };
      } else {
        part.file.resume();
      }
    }
  } catch (error) {
    throw multipartError(error, request);
  }
  return found;
}

/**
 * The JSON error for a failure while reading a multipart body: our own errors as they are, a
 * limit hit by @fastify/multipart as 413 naming the body limit (or `onPartsLimit` for too many
 * parts), anything else as a malformed body.
 */
export function multipartError(
  error: unknown,
  request: FastifyRequest,
  onPartsLimit?: () => ServerError,
): ServerError {
  if (error instanceof ServerError) return error;
  if ((error as { statusCode?: unknown }).statusCode === 413) {
    const code = (error as { code?: unknown }).code;
    if (onPartsLimit && (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT')) return onPartsLimit();
    return payloadTooLarge(request.routeOptions.bodyLimit, { cause: error });
  }
  return new ServerError('MLOPS_SRV_ERR_BAD_REQUEST', 'Malformed multipart/form-data body.', {
    cause: error,
  });
}
