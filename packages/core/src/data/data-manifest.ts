import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { MlopsError } from '../errors.js';
import type { ArtifactStore } from '../services/artifact-store.js';
import { isErrnoException, writeFileAtomic } from '../store/atomic-write.js';
import type { ClassMap } from './class-map.js';
import { CLASSES_FILE } from './classes-file.js';
import { FileHashCache } from './file-hash-cache.js';
import { comparePaths, type ScanResult } from './scan-image-folder.js';
import { putTreeMemoized } from './tree-memo.js';

/** Format marker of {@link DataManifest}. */
export const DATA_MANIFEST_FORMAT = 'mlops-data/1';

/** One file of a {@link DataManifest}. */
export interface DataManifestFile {
  /** Path relative to the dataset folder, `/`-separated, e.g. `train/cat/1.png`. */
  path: string;
  /** sha256 of the content. */
  hash: string;
  /** Size in bytes. */
  size: number;
}

/**
 * A dataset version, meant to be committed to git beside the data folder (like a DVC pointer):
 * the file list with hashes, the classes, and the hash of the tree holding the files in the store.
 * The tree hash is the data version.
 */
export interface DataManifest {
  /** Format marker. */
  format: typeof DATA_MANIFEST_FORMAT;
  /** Labels in class-index order. */
  classes: string[];
  /** The class map given when the version was added; absent when classes come from the folders. */
  classMap?: ClassMap;
  /** Images per split. */
  splits: Record<string, number>;
  /** Every file of the version, sorted by path. */
  files: DataManifestFile[];
  /** Hash of the tree in the store: the data version. */
  tree: string;
  /** ISO time of creation. */
  createdAt: string;
}

/** What changed in a folder since its manifest was written (paths relative to the folder). */
export interface DataManifestDiff {
  /** Files present now that the manifest does not list. */
  added: string[];
  /** Files the manifest lists that are gone. */
  removed: string[];
  /** Files whose content differs. */
  modified: string[];
}

/** Options of {@link createDataManifest} and {@link diffDataManifest}. */
export interface DataManifestOptions {
  /** Directory of the file-hash cache (`<store>/cache`); none keeps hashes in memory only. */
  cacheDir?: string;
  /** Creation time to record. Default now. */
  now?: Date;
  /** Called after each file is hashed, for progress. */
  onFile?: () => void;
}

/**
 * Hashes the scanned files (through the stat cache), stores them as one tree in `store` and
 * returns the manifest. Files are those of the scan plus the tree's `classes.json`, if the scan
 * took its labels from it.
 */
export async function createDataManifest(
  root: string,
  scan: ScanResult,
  store: ArtifactStore,
  options: DataManifestOptions = {},
): Promise<DataManifest> {
  const paths = manifestPaths(scan);
  const cache = await FileHashCache.open(options.cacheDir);
  const digests = await cache.digestAll(
    paths.map((p) => join(root, p)),
    options.onFile,
  );
  await cache.save();
  const files = paths.map((path, i): DataManifestFile => {
    const digest = digests[i];
    if (!digest) throw new Error(`no digest for ${path}`);
    return { path, hash: digest.hash, size: digest.size };
  });
  files.sort((a, b) => comparePaths(a.path, b.path));
  const tree = await putTreeMemoized(
    store,
    files.map((f) => ({ path: f.path, file: join(root, f.path) })),
    { cacheDir: options.cacheDir, name: 'dataset' },
  );
  const splits: Record<string, number> = {};
  for (const [split, counts] of Object.entries(scan.counts)) {
    splits[split] = Object.values(counts).reduce((a, b) => a + b, 0);
  }
  const manifest: DataManifest = {
    format: DATA_MANIFEST_FORMAT,
    classes: scan.classes,
    splits,
    files,
    tree: tree.hash,
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  if (scan.classMapSource === 'option') manifest.classMap = scan.classMap;
  return manifest;
}

/**
 * Compares a manifest with a fresh scan of its folder. Files of equal size are hashed (through the
 * stat cache) to find modified ones; a size change alone marks a file modified.
 */
export async function diffDataManifest(
  manifest: DataManifest,
  currentScan: ScanResult,
  options: DataManifestOptions = {},
): Promise<DataManifestDiff> {
  const recorded = new Map(manifest.files.map((f) => [f.path, f]));
  const current = manifestPaths(currentScan);
  const cache = await FileHashCache.open(options.cacheDir);
  const added: string[] = [];
  const modified: string[] = [];
  const digests = await cache.digestAll(
    current.filter((p) => recorded.has(p)).map((p) => join(currentScan.root, p)),
    options.onFile,
  );
  await cache.save();
  const byPath = new Map(digests.map((d) => [d.path, d]));
  for (const path of current) {
    const before = recorded.get(path);
    if (!before) {
      added.push(path);
      continue;
    }
    const now = byPath.get(join(currentScan.root, path));
    if (!now || now.size !== before.size || now.hash !== before.hash) modified.push(path);
  }
  const currentSet = new Set(current);
  const removed = manifest.files.map((f) => f.path).filter((p) => !currentSet.has(p));
  return {
    added: added.sort(comparePaths),
    removed: removed.sort(comparePaths),
    modified: modified.sort(comparePaths),
  };
}

/**
 * Writes a manifest atomically (temp file + rename). One file per line, so a git diff of two
 * versions shows the files that changed.
 */
export async function writeDataManifest(path: string, manifest: DataManifest): Promise<void> {
  const { files, ...head } = manifest;
  const headText = JSON.stringify(head, null, 2);
  const fileLines = files.map((f) => `    ${JSON.stringify({ path: f.path, hash: f.hash, size: f.size })}`);
  const text = `${headText.slice(0, -2)},\n  "files": [\n${fileLines.join(',\n')}\n  ]\n}\n`;
  await writeFileAtomic(path, text);
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest');

const manifestSchema = z.object({
  format: z.literal(DATA_MANIFEST_FORMAT),
  classes: z.array(z.string()),
  classMap: z.record(z.string(), z.array(z.string())).optional(),
  splits: z.record(z.string(), z.number().int().nonnegative()),
  files: z.array(
    z.object({ path: z.string().min(1), hash: sha256Hex, size: z.number().int().nonnegative() }),
  ),
  tree: sha256Hex,
  createdAt: z.string(),
});

/** Reads and validates a manifest; throws `MLOPS_ERR_DATA_INVALID` naming the file when it is not one. */
export async function readDataManifest(path: string): Promise<DataManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT', 'ENOTDIR')) throw error;
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `data manifest ${path} does not exist`, {
      file: path,
      hint: 'Run `mlops data add <dir>` to create it, or pass the path of an existing *.mlops-data.json.',
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `data manifest ${path} is not valid JSON`, {
      file: path,
      cause: error,
      hint: `Restore it from git (\`git checkout -- ${path}\`) or recreate it with \`mlops data add ${dataDirOf(path)}\`.`,
    });
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown problem';
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `data manifest ${path} is invalid (${where})`, {
      file: path,
      hint: `Restore it from git or recreate it with \`mlops data add ${dataDirOf(path)}\`.`,
    });
  }
  return parsed.data as DataManifest;
}

/** Paths a manifest records for a scan: its images, and `classes.json` when the labels came from it. */
function manifestPaths(scan: ScanResult): string[] {
  const paths = scan.files.map((f) => f.relPath);
  if (scan.classMapSource === 'classes.json') paths.push(CLASSES_FILE);
  return paths;
}

/** The data folder a manifest describes (`<folder>.mlops-data.json`), for hints. */
function dataDirOf(manifestPath: string): string {
  const suffix = '.mlops-data.json';
  return manifestPath.endsWith(suffix) ? manifestPath.slice(0, -suffix.length) : '<dir>';
}
