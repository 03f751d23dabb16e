/**
 * W&B artifact manifests (`wandb_manifest.json`, version 1) and their digest, computed the way the
 * wandb SDK does: each file's digest is the base64 MD5 of its bytes; the manifest digest is the
 * hex MD5 of `wandb-artifact-manifest\n` followed by `path:digest\n` for every entry in path
 * order. Equal content gives an equal digest, which is what lets the server deduplicate a
 * re-upload (`enableDigestDeduplication`).
 */
import { createHash } from 'node:crypto';

/** One file of an artifact. */
export interface ManifestEntry {
  /** Path inside the artifact. */
  path: string;
  /** Base64 MD5 of the content. */
  digest: string;
  /** Size in bytes. */
  size: number;
}

/** Base64 MD5 of bytes (W&B's file digest and the `Content-MD5` upload header). */
export function md5Base64(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('base64');
}

/** The manifest digest of entries (any order). */
export function manifestDigest(entries: readonly ManifestEntry[]): string {
  const hash = createHash('md5');
  hash.update('wandb-artifact-manifest\n');
  for (const entry of sortByPath(entries)) hash.update(`${entry.path}:${entry.digest}\n`);
  return hash.digest('hex');
}

/** The manifest JSON the server stores for an artifact version. */
export function manifestJson(entries: readonly ManifestEntry[], artifactId: string): string {
  const contents: Record<string, { digest: string; size: number; birthArtifactID: string }> = {};
  for (const entry of sortByPath(entries)) {
    contents[entry.path] = { digest: entry.digest, size: entry.size, birthArtifactID: artifactId };
  }
  return JSON.stringify({
    version: 1,
    storagePolicy: 'wandb-storage-policy-v1',
    storagePolicyConfig: { storageLayout: 'V2' },
    contents,
  });
}

function sortByPath(entries: readonly ManifestEntry[]): ManifestEntry[] {
  return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
