/**
 * Where a content-addressed object lives in a local store and the errors about it. Shared by the
 * store and anything that reads objects by hash (stage cache, remote sync).
 */
import { join } from 'node:path';
import { MlopsError } from '../errors.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True when `value` is a lowercase sha256 hex digest. */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/**
 * Rejects anything that is not a sha256 hex digest. Hashes become path segments, so this is also
 * what keeps a crafted "hash" like `../../x` from escaping the store.
 */
export function assertSha256(hash: string): void {
  if (!isSha256(hash)) {
    throw new MlopsError(
      'MLOPS_ERR_USAGE',
      `${JSON.stringify(hash)} is not an artifact hash (64 lowercase hex digits)`,
      {
        hint: 'Use the hash from a run record (`mlops runs show latest`) or a data manifest.',
      },
    );
  }
}

/** `objects/<first 2 hex>/<other 62>` under `root`: the two-level fan-out keeps directories small. */
export function objectPath(root: string, hash: string): string {
  assertSha256(hash);
  return join(root, 'objects', hash.slice(0, 2), hash.slice(2));
}

/** The error for an object the store should have but does not. */
export function objectMissingError(hash: string, location: string): MlopsError {
  return new MlopsError(
    'MLOPS_ERR_STORE_OBJECT_MISSING',
    `artifact object ${hash} is missing from the store at ${location}`,
    {
      hint: 'Run `mlops data pull` to fetch it from the remote, or rerun the stage that produced it with --force.',
    },
  );
}
