/**
 * Moving one object between a local file and a bucket, verified, and never visible half-written
 * under its final name:
 *
 * - Small objects go up in one multipart request carrying their MD5 and CRC32C; GCS checks them
 *   before it creates the object, and we check what it reports back.
 * - Large objects go up as a resumable upload (the client resumes from the last persisted byte
 *   after a dropped connection) to a temporary name, are checked there, then copied server-side to
 *   the final name. A session that dies leaves at most a temporary object, never a final one.
 * - Final names are written with `ifGenerationMatch: 0`: an object that is already there is never
 *   rewritten (content addressing makes it the same bytes; we confirm by digest).
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Bucket, File, FileMetadata } from '@google-cloud/storage';
import { MlopsError } from '@mlops/core';
import { digestBytes, digestFile, digestMismatch, type ObjectDigests } from './content-digests.js';
import { isNotFound, isPreconditionFailed } from './gcs-errors.js';

/** Options of {@link uploadObject}. */
export interface UploadObjectOptions {
  /** Files larger than this use a resumable upload to a temporary name. */
  resumableThreshold: number;
  /** Object-name prefix of temporary uploads, e.g. `mlops/tmp`. */
  tmpPrefix: string;
}

/** What {@link uploadObject} did. */
export type UploadOutcome = 'uploaded' | 'present';

const OCTET_STREAM = 'application/octet-stream';

/** Uploads `localPath` as object `name`; see the module comment for the guarantees. */
export async function uploadObject(
  bucket: Bucket,
  name: string,
  localPath: string,
  options: UploadObjectOptions,
): Promise<UploadOutcome> {
  const { size } = await stat(localPath);
  const target = bucket.file(name);
  if (size <= options.resumableThreshold) {
    const bytes = await readFile(localPath);
    const digests = digestBytes(bytes);
    try {
      await target.save(bytes, {
        resumable: false,
        validation: false,
        metadata: { contentType: OCTET_STREAM, md5Hash: digests.md5Hash, crc32c: digests.crc32c },
        preconditionOpts: { ifGenerationMatch: 0 },
      });
    } catch (error) {
      if (isPreconditionFailed(error)) return confirmPresent(target, digests);
      throw error;
    }
    await checkStored(target, target.metadata, digests, true);
    return 'uploaded';
  }

  const digests = await digestFile(localPath);
  const tmp = bucket.file(`${options.tmpPrefix}/${name.split('/').pop()}.${randomBytes(6).toString('hex')}`);
  try {
    await bucket.upload(localPath, {
      destination: tmp,
      resumable: true,
      validation: false,
      metadata: { contentType: OCTET_STREAM, md5Hash: digests.md5Hash, crc32c: digests.crc32c },
      preconditionOpts: { ifGenerationMatch: 0 },
    });
    await checkStored(tmp, tmp.metadata, digests, false);
    try {
      await tmp.copy(target, { preconditionOpts: { ifGenerationMatch: 0 } });
    } catch (error) {
      if (isPreconditionFailed(error)) return confirmPresent(target, digests);
      throw error;
    }
    return 'uploaded';
  } finally {
    await tmp.delete({ ignoreNotFound: true }).catch(() => undefined); // best effort: lifecycle rules sweep tmp/
  }
}

/** Downloads object `name` to `dest` (overwritten). Throws `MLOPS_ERR_STORE_OBJECT_MISSING` if absent. */
export async function downloadObject(bucket: Bucket, name: string, dest: string): Promise<void> {
  try {
    await bucket.file(name).download({ destination: dest, validation: false });
  } catch (error) {
    if (isNotFound(error)) {
      throw new MlopsError('MLOPS_ERR_STORE_OBJECT_MISSING', `gs://${bucket.name}/${name} does not exist`, {
        hint: 'Push it from the machine that has it (`mlops data push`), or rerun the stage that produced it.',
      });
    }
    throw error;
  }
}

/** An object that already existed must hold the bytes we meant to write. */
async function confirmPresent(file: File, digests: ObjectDigests): Promise<UploadOutcome> {
  const [metadata] = await file.getMetadata();
  await checkStored(file, metadata, digests, false);
  return 'present';
}

/**
 * Compares reported digests with ours. A mismatch on an object we just created deletes it (only
 * that generation, so a correct concurrent write survives) before failing.
 */
async function checkStored(
  file: File,
  metadata: FileMetadata,
  digests: ObjectDigests,
  deleteOnMismatch: boolean,
): Promise<void> {
  const mismatch = digestMismatch(digests, {
    md5Hash: metadata.md5Hash,
    crc32c: metadata.crc32c,
  });
  if (mismatch === undefined) return;
  if (deleteOnMismatch && metadata.generation !== undefined) {
    await file.delete({ ifGenerationMatch: metadata.generation }).catch(() => undefined);
  }
  throw new MlopsError(
    'MLOPS_ERR_STORE_CORRUPT',
    `gs://${file.bucket.name}/${file.name} does not hold the bytes uploaded (${mismatch})`,
    {
      hint: 'The transfer was damaged or the object was replaced; delete the object and push again.',
    },
  );
}
