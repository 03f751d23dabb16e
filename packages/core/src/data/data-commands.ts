import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { MlopsError } from '../errors.js';
import type { ArtifactStore } from '../services/artifact-store.js';
import { isErrnoException } from '../store/atomic-write.js';
import { mapLimit } from '../util/map-limit.js';
import { localCacheDir } from './cache-dir.js';
import type { ClassMap } from './class-map.js';
import {
  createDataManifest,
  type DataManifest,
  type DataManifestDiff,
  diffDataManifest,
  readDataManifest,
  writeDataManifest,
} from './data-manifest.js';
import { FileHashCache } from './file-hash-cache.js';
import { comparePaths, scanImageFolder } from './scan-image-folder.js';

/** Suffix of data manifests written beside their folder: `data/vehicles.mlops-data.json`. */
export const DATA_MANIFEST_SUFFIX = '.mlops-data.json';

/** Where {@link dataAdd} writes the manifest of `dir` by default: beside the folder. */
export function defaultManifestPath(dir: string): string {
  return `${resolve(dir)}${DATA_MANIFEST_SUFFIX}`;
}

/** Options of {@link dataAdd}. */
export interface DataAddOptions {
  /** Store receiving the files. */
  store: ArtifactStore;
  /** Class map (inline or a JSON/YAML path) recorded in the manifest. */
  classMap?: string | ClassMap;
  /** Manifest path. Default {@link defaultManifestPath}. */
  output?: string;
  /** File-hash cache directory. Default `<store>/cache` for a local store. */
  cacheDir?: string;
}

/** Result of {@link dataAdd}. */
export interface DataAddResult {
  /** The manifest written. */
  manifest: DataManifest;
  /** The data version (the tree hash). */
  version: string;
  /** Where the manifest was written. */
  manifestPath: string;
}

/**
 * `mlops data add <dir>`: scans every split folder of an ImageFolder tree, puts all its files in
 * the store as one tree and writes the manifest (by default `<dir>.mlops-data.json`, to be
 * committed to git).
 */
export async function dataAdd(dir: string, options: DataAddOptions): Promise<DataAddResult> {
  const root = resolve(dir);
  const splits = await splitFolders(root);
  const scan = await scanImageFolder(root, {
    splits: Object.fromEntries(splits.map((s) => [s, s])),
    classMap: options.classMap,
  });
  const manifest = await createDataManifest(root, scan, options.store, {
    cacheDir: options.cacheDir ?? localCacheDir(options.store),
  });
  const manifestPath = resolve(options.output ?? defaultManifestPath(root));
  await writeDataManifest(manifestPath, manifest);
  return { manifest, version: manifest.tree, manifestPath };
}

/** Result of {@link dataStatus}. */
export interface DataStatus extends DataManifestDiff {
  /** The folder compared. */
  dir: string;
  /** The manifest compared against. */
  manifestPath: string;
  /** The manifest's data version. */
  version: string;
  /** True when nothing was added, removed or modified. */
  clean: boolean;
}

/**
 * `mlops data status <dir>`: what changed in the folder since its manifest (default
 * `<dir>.mlops-data.json`) was written.
 */
export async function dataStatus(
  dir: string,
  manifestPath?: string,
  options: { cacheDir?: string } = {},
): Promise<DataStatus> {
  const root = resolve(dir);
  const path = resolve(manifestPath ?? defaultManifestPath(root));
  const manifest = await readDataManifest(path);
  const present = await splitFolders(root, true);
  const splits = [...new Set([...Object.keys(manifest.splits), ...present])];
  const scan = await scanImageFolder(root, {
    splits: Object.fromEntries(splits.map((s) => [s, s])),
    optionalSplits: splits,
    classMap: manifest.classMap,
  });
  const diff = await diffDataManifest(manifest, scan, { cacheDir: options.cacheDir });
  const clean = diff.added.length + diff.removed.length + diff.modified.length === 0;
  return { dir: root, manifestPath: path, version: manifest.tree, clean, ...diff };
}

/** Options of {@link dataCheckout}. */
export interface DataCheckoutOptions {
  /** Replace `dest` even when it holds files whose content is in neither the manifest nor the store. */
  force?: boolean;
  /** File-hash cache directory. Default `<store>/cache` for a local store. */
  cacheDir?: string;
}

/** Result of {@link dataCheckout}. */
export interface DataCheckoutResult {
  /** The folder written. */
  dest: string;
  /** The data version checked out. */
  version: string;
  /** Number of files. */
  files: number;
}

/**
 * `mlops data checkout <manifest>`: makes `dest` (default: the folder beside the manifest) exactly
 * the version the manifest names, restored from the store. The folder is replaced atomically.
 * Throws `MLOPS_ERR_STORE_OBJECT_MISSING` (suggesting `mlops data pull`) when the store lacks
 * objects, and `MLOPS_ERR_DATA_INVALID` when `dest` holds files that would be lost (unless `force`).
 */
export async function dataCheckout(
  manifestPath: string,
  store: ArtifactStore,
  dest?: string,
  options: DataCheckoutOptions = {},
): Promise<DataCheckoutResult> {
  const path = resolve(manifestPath);
  const manifest = await readDataManifest(path);
  const target = resolve(dest ?? folderOfManifest(path));
  await assertObjectsPresent(manifest, store, path);
  if (!options.force)
    await assertNothingLost(target, manifest, store, options.cacheDir ?? localCacheDir(store));

  const size = manifest.files.reduce((sum, f) => sum + f.size, 0);
  const tmp = `${target}.checkout-${process.pid}-${randomBytes(4).toString('hex')}`;
  const old = `${target}.replaced-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await store.checkout({ hash: manifest.tree, kind: 'dir', size, name: 'dataset' }, tmp);
    const hadTarget = await exists(target);
    if (hadTarget) await rename(target, old);
    try {
      await rename(tmp, target);
    } catch (error) {
      if (hadTarget) await rename(old, target);
      throw error;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(old, { recursive: true, force: true });
  }
  return { dest: target, version: manifest.tree, files: manifest.files.length };
}

/** The data folder a manifest written by {@link dataAdd} describes. */
function folderOfManifest(manifestPath: string): string {
  if (manifestPath.endsWith(DATA_MANIFEST_SUFFIX)) return manifestPath.slice(0, -DATA_MANIFEST_SUFFIX.length);
  throw new MlopsError('MLOPS_ERR_USAGE', `cannot tell which folder ${manifestPath} belongs to`, {
    file: manifestPath,
    hint: `Pass the destination folder, or name the manifest <folder>${DATA_MANIFEST_SUFFIX}.`,
  });
}

async function assertObjectsPresent(
  manifest: DataManifest,
  store: ArtifactStore,
  manifestPath: string,
): Promise<void> {
  const hashes = [manifest.tree, ...new Set(manifest.files.map((f) => f.hash))];
  const present = await mapLimit(hashes, 32, (hash) => store.has(hash));
  const missing = hashes.filter((_, i) => !present[i]);
  if (missing.length === 0) return;
  const what = missing[0] === manifest.tree ? 'its tree manifest and' : '';
  throw new MlopsError(
    'MLOPS_ERR_STORE_OBJECT_MISSING',
    `store ${store.location} lacks ${what} ${missing.length} object(s) of data version ${manifest.tree.slice(0, 12)} (${manifestPath})`,
    {
      file: manifestPath,
      hint: `Run \`mlops data pull ${manifestPath}\` to fetch them from the remote, then check out again.`,
    },
  );
}

/** Refuses to replace a folder holding content that exists nowhere else (not in the store). */
async function assertNothingLost(
  target: string,
  manifest: DataManifest,
  store: ArtifactStore,
  cacheDir: string | undefined,
): Promise<void> {
  if (!(await exists(target))) return;
  const files = await listFiles(target);
  const cache = await FileHashCache.open(cacheDir);
  const digests = await cache.digestAll(files);
  await cache.save();
  const inManifest = new Set(manifest.files.map((f) => f.hash));
  const stored = await mapLimit(
    digests,
    32,
    async (d) => inManifest.has(d.hash) || (await store.has(d.hash)),
  );
  const unsaved = digests
    .filter((_, i) => !stored[i])
    .map((d) => relative(target, d.path).split(sep).join('/'));
  if (unsaved.length === 0) return;
  const shown =
    unsaved.slice(0, 10).join(', ') + (unsaved.length > 10 ? `, ... (${unsaved.length} in all)` : '');
  throw new MlopsError(
    'MLOPS_ERR_DATA_INVALID',
    `checkout would replace ${target}, which holds files not saved in the store: ${shown}`,
    {
      file: target,
      hint: `Run \`mlops data add ${target}\` first to keep them as a version, or check out with --force to discard them.`,
    },
  );
}

/** Split folders of a dataset root (non-hidden directories), sorted. */
async function splitFolders(root: string, allowMissing = false): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if (allowMissing && isErrnoException(error, 'ENOENT')) return [];
    if (!isErrnoException(error, 'ENOENT', 'ENOTDIR')) throw error;
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `data folder ${root} does not exist`, {
      file: root,
      hint: `Pass an ImageFolder tree (<split>/<class>/<image>), or restore one from its manifest: \`mlops data checkout ${root}${DATA_MANIFEST_SUFFIX}\`.`,
    });
  }
  const splits = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  if (splits.length === 0 && !allowMissing) {
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `data folder ${root} has no split folders`, {
      file: root,
      hint: 'Arrange the images as <split>/<class>/<image>, e.g. train/cat/1.jpg and validation/cat/2.jpg.',
    });
  }
  return splits.sort(comparePaths);
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: unknown) => {
      if (isErrnoException(error, 'ENOENT', 'ENOTDIR')) return false;
      throw error;
    },
  );
}
