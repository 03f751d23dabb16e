/**
 * `mlops data push|pull`: moving a data version (the blobs a `.mlops-data.json` manifest names)
 * between the local store and the bucket, like `dvc push|pull`. Only objects the other side lacks
 * are transferred; the tree manifest goes up last, so a version whose tree is in the bucket is
 * complete there. After a pull, core's `mlops data checkout` restores the folder from the local
 * store, offline.
 */
import { resolve } from 'node:path';
import { type DataManifest, MlopsError, readDataManifest } from '@mlops/core';
import type { GcsArtifactStore, TransferStats } from '../gcs/gcs-artifact-store.js';

/** Result of {@link pushDataVersion} and {@link pullDataVersion}. */
export interface DataTransferResult extends TransferStats {
  /** The manifest read. */
  manifestPath: string;
  /** The data version (tree hash). */
  version: string;
  /** The bucket location. */
  remote: string;
}

/** Uploads the manifest's tree and files that the bucket lacks. */
export async function pushDataVersion(
  manifestPath: string,
  remote: GcsArtifactStore,
): Promise<DataTransferResult> {
  const path = resolve(manifestPath);
  const manifest = await readDataManifest(path);
  if (!(await remote.cache.has(manifest.tree))) {
    throw new MlopsError(
      'MLOPS_ERR_STORE_OBJECT_MISSING',
      `data version ${manifest.tree.slice(0, 12)} (${path}) is not in the local store ${remote.cache.location}, so there is nothing to push`,
      {
        file: path,
        hint: 'Run `mlops data add <dir>` on the machine that has the folder (or `mlops data pull` where the version came from).',
      },
    );
  }
  const tree = await remote.cache.getTree(manifest.tree);
  const files = await remote.upload(fileHashes(manifest, tree.entries));
  const root = await remote.upload([manifest.tree]);
  return summary(path, manifest, remote, files, root);
}

/** Downloads the manifest's tree and files that the local store lacks (each checked by sha256). */
export async function pullDataVersion(
  manifestPath: string,
  remote: GcsArtifactStore,
): Promise<DataTransferResult> {
  const path = resolve(manifestPath);
  const manifest = await readDataManifest(path);
  if ((await remote.missing([manifest.tree])).length > 0 && !(await remote.cache.has(manifest.tree))) {
    throw new MlopsError(
      'MLOPS_ERR_STORE_OBJECT_MISSING',
      `data version ${manifest.tree.slice(0, 12)} (${path}) is not in ${remote.location}`,
      {
        file: path,
        hint: `Push it from the machine where it was added: \`mlops data push ${path}\`.`,
      },
    );
  }
  const root = await remote.download([manifest.tree]);
  const tree = await remote.cache.getTree(manifest.tree);
  const files = await remote.download(fileHashes(manifest, tree.entries));
  return summary(path, manifest, remote, files, root);
}

/** The files of a version: the tree's entries (what checkout needs) and the manifest's list. */
function fileHashes(manifest: DataManifest, entries: { hash: string }[]): string[] {
  return [...new Set([...entries.map((e) => e.hash), ...manifest.files.map((f) => f.hash)])];
}

function summary(
  manifestPath: string,
  manifest: DataManifest,
  remote: GcsArtifactStore,
  files: TransferStats,
  root: TransferStats,
): DataTransferResult {
  return {
    manifestPath,
    version: manifest.tree,
    remote: remote.location,
    objects: files.objects + root.objects,
    transferred: files.transferred + root.transferred,
    skipped: files.skipped + root.skipped,
    bytes: files.bytes + root.bytes,
  };
}
