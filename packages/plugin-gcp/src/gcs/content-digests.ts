/**
 * The digests GCS reports for an object (base64 MD5 and CRC32C), computed locally so an upload or a
 * download can be checked against what the server stored.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { CRC32C } from '@google-cloud/storage';

/** Base64 digests as GCS writes them in object metadata (`md5Hash`, `crc32c`). */
export interface ObjectDigests {
  /** Base64 MD5. */
  md5Hash: string;
  /** Base64 big-endian CRC32C. */
  crc32c: string;
}

/** Digests of bytes in memory. */
export function digestBytes(bytes: Uint8Array): ObjectDigests {
  const crc = new CRC32C();
  crc.update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { md5Hash: createHash('md5').update(bytes).digest('base64'), crc32c: crc.toString() };
}

/** Digests of a file, streamed. */
export async function digestFile(path: string): Promise<ObjectDigests> {
  const md5 = createHash('md5');
  const crc = new CRC32C();
  for await (const chunk of createReadStream(path)) {
    md5.update(chunk as Buffer);
    crc.update(chunk as Buffer);
  }
  return { md5Hash: md5.digest('base64'), crc32c: crc.toString() };
}

/**
 * Which digest of `actual` (server metadata) disagrees with `expected`, or undefined when all that
 * the server reported match. A server may omit one (composite objects have no MD5), never both.
 */
export function digestMismatch(
  expected: ObjectDigests,
  actual: { md5Hash?: string | undefined; crc32c?: string | undefined },
): string | undefined {
  if (actual.md5Hash === undefined && actual.crc32c === undefined) return 'no md5Hash or crc32c reported';
  if (actual.md5Hash !== undefined && actual.md5Hash !== expected.md5Hash)
    return `md5Hash ${actual.md5Hash} != ${expected.md5Hash}`;
  if (actual.crc32c !== undefined && actual.crc32c !== expected.crc32c)
    return `crc32c ${actual.crc32c} != ${expected.crc32c}`;
  return undefined;
}
