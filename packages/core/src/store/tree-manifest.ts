/**
 * Tree manifests: the stored description of a directory artifact. The manifest's canonical text
 * (stable key order, entries sorted by path) is what a `dir` reference hashes, so equal trees get
 * equal hashes on every machine.
 */

import { MlopsError } from '../errors.js';
import type { TreeEntry, TreeManifest } from '../services/artifact-store.js';
import { stableStringify } from '../util/json.js';
import { isSha256 } from './object-layout.js';

/** Format marker of {@link TreeManifest}. */
export const TREE_FORMAT = 'mlops-tree/1';

/** Compares paths by UTF-16 code units: locale-independent, so the order is the same everywhere. */
export function compareTreePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Checks a tree entry path: relative, `/`-separated, no empty, `.` or `..` segments. Such a path
 * can never escape the directory it is checked out into.
 */
export function assertTreePath(path: string): void {
  const segments = path.split('/');
  if (
    path.includes('\\') ||
    path.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new MlopsError('MLOPS_ERR_USAGE', `invalid tree path ${JSON.stringify(path)}`, {
      hint: 'Tree paths are relative and /-separated, without empty, "." or ".." segments.',
    });
  }
}

/** Checks every path with {@link assertTreePath} and that no path occurs twice. */
export function assertTreePaths(paths: readonly string[]): void {
  const seen = new Set<string>();
  for (const path of paths) {
    assertTreePath(path);
    if (seen.has(path)) {
      throw new MlopsError('MLOPS_ERR_USAGE', `tree has two entries for path "${path}"`, {
        hint: 'Give every file of a tree a distinct path.',
      });
    }
    seen.add(path);
  }
}

/** Builds a manifest from entries in any order; rejects invalid and duplicate paths. */
export function buildTreeManifest(entries: readonly TreeEntry[]): TreeManifest {
  assertTreePaths(entries.map((e) => e.path));
  const sorted = entries.map((e) => ({ path: e.path, hash: e.hash, size: e.size }));
  sorted.sort((a, b) => compareTreePaths(a.path, b.path));
  return { format: TREE_FORMAT, entries: sorted };
}

/** The canonical bytes of a manifest: what is stored, and what its reference hashes. */
export function serializeTreeManifest(manifest: TreeManifest): string {
  return stableStringify(manifest);
}

/** Total size of a tree's files. */
export function treeSize(manifest: TreeManifest): number {
  return manifest.entries.reduce((sum, e) => sum + e.size, 0);
}

/**
 * Parses stored manifest bytes, checking the shape. `source` (the object path) is named in the
 * error when they are not a manifest.
 */
export function parseTreeManifest(bytes: Uint8Array, source: string): TreeManifest {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    value = undefined;
  }
  const manifest = value as Partial<TreeManifest> | undefined;
  const valid =
    manifest?.format === TREE_FORMAT &&
    Array.isArray(manifest.entries) &&
    manifest.entries.every(
      (e: Partial<TreeEntry>) =>
        typeof e?.path === 'string' && isSha256(e.hash) && typeof e.size === 'number',
    );
  if (!valid) {
    throw new MlopsError(
      'MLOPS_ERR_STORE_CORRUPT',
      `store object ${source} is not a tree manifest (${TREE_FORMAT})`,
      {
        file: source,
        hint: 'The reference names a file artifact, not a directory; or the object is damaged, in which case delete it and pull or rebuild it.',
      },
    );
  }
  return manifest as TreeManifest;
}
