import { join } from 'node:path';
import type { ArtifactStore } from '../services/artifact-store.js';

/**
 * The directory for local caches (file hashes, inspection results, decoded datasets) of a store:
 * `<store>/cache` for a store on the local disk, undefined for a remote one (`gs://...`), whose
 * callers then keep their caches in memory only.
 */
export function localCacheDir(store: Pick<ArtifactStore, 'location'>): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(store.location)) return undefined;
  return join(store.location, 'cache');
}
