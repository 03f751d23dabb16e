import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { MlopsError } from '../errors.js';
import { isErrnoException } from '../store/atomic-write.js';
import { type ClassMap, loadClassMap } from './class-map.js';
import { readClassesFile } from './classes-file.js';

/** Image file extensions an ImageFolder scan picks up by default (compared case-insensitively). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpeg', '.jpg', '.png', '.webp'];

/** Options of {@link scanImageFolder}. */
export interface ScanOptions {
  /** Split name → its folder under the root, e.g. `{ train: 'train', validation: 'val' }`. */
  splits: Record<string, string | undefined>;
  /** Splits that may be absent (e.g. `test`); the others must exist. Default: none. */
  optionalSplits?: readonly string[];
  /**
   * Label → folders merged under it, inline or a JSON/YAML file path. Default: the tree's
   * `classes.json` if it has one, else one class per folder, labels sorted.
   */
  classMap?: string | ClassMap;
  /** Keep only these labels, in this order (also the class-index order). */
  classes?: readonly string[];
  /** At most this many images per class and split: the first N by sorted path. */
  limitPerClass?: number;
  /** Extensions of image files, with the dot. Default {@link IMAGE_EXTENSIONS}. */
  extensions?: readonly string[];
  /** Directory a class-map path is relative to. Default: the working directory. */
  baseDir?: string;
}

/** One image found by {@link scanImageFolder}. */
export interface ScannedImage {
  /** Split name (a key of {@link ScanOptions.splits}). */
  split: string;
  /** Class label. */
  label: string;
  /** Index of the label in {@link ScanResult.classes}. */
  classIndex: number;
  /** Absolute path. */
  path: string;
  /** Path relative to the root, `/`-separated, e.g. `train/cat/1.png`. */
  relPath: string;
}

/** Where the class map of a scan came from. */
export type ClassMapSource = 'option' | 'classes.json' | 'folders';

/** What {@link scanImageFolder} found. */
export interface ScanResult {
  /** Absolute root of the tree. */
  root: string;
  /** Labels in class-index order. */
  classes: string[];
  /** The class map used (label → folders), for every label in {@link classes}. */
  classMap: ClassMap;
  /** Where {@link classMap} came from. */
  classMapSource: ClassMapSource;
  /** Split name → folder name, of the splits present, in option order. */
  splits: Record<string, string>;
  /** Images, sorted by split (option order), class index, then path. */
  files: ScannedImage[];
  /** Images per split and label (after `limitPerClass`). */
  counts: Record<string, Record<string, number>>;
  /** Files in class folders that are not images (by extension) and were ignored. */
  ignored: number;
}

/**
 * Scans an ImageFolder tree, `<root>/<split>/<folder>/<image>` (images may sit in subfolders of a
 * class folder). The result is deterministic: the same tree always gives the same classes and the
 * same file order. Throws `MLOPS_ERR_DATA_INVALID`, naming the path and the fix, when the root or
 * a required split is missing, a class-map folder is missing in a split, a class has no training
 * images, or a class has images in another split but none in `train`.
 */
export async function scanImageFolder(root: string, options: ScanOptions): Promise<ScanResult> {
  const rootDir = resolve(root);
  await assertDirectory(rootDir);
  const splits = await findSplits(rootDir, options);
  const { classMap, source } = await chooseClassMap(rootDir, splits, options);
  const classes = selectClasses(classMap, source, options.classes, rootDir);
  const extensions = new Set((options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase()));
  const limit = checkLimit(options.limitPerClass);

  const files: ScannedImage[] = [];
  const counts: Record<string, Record<string, number>> = {};
  const folders: Record<string, Set<string>> = {};
  let ignored = 0;
  for (const [split, folder] of Object.entries(splits)) {
    const splitDir = join(rootDir, folder);
    const present = new Set(await listDirectories(splitDir));
    folders[split] = present;
    counts[split] = {};
    for (const [classIndex, label] of classes.entries()) {
      const images: string[] = [];
      for (const classFolder of classMap[label] ?? []) {
        if (!present.has(classFolder)) {
          if (source === 'option') throw missingClassFolder(label, join(splitDir, classFolder), present);
          continue;
        }
        const found = await listImages(join(splitDir, classFolder), `${folder}/${classFolder}`, extensions);
        images.push(...found.images);
        ignored += found.ignored;
      }
      images.sort(comparePaths);
      const kept = limit === undefined ? images : images.slice(0, limit);
      counts[split][label] = kept.length;
      for (const relPath of kept) {
        files.push({ split, label, classIndex, path: join(rootDir, relPath), relPath });
      }
    }
  }
  assertTrainCoverage(rootDir, splits, classes, classMap, counts, folders);
  return {
    root: rootDir,
    classes,
    classMap: pick(classMap, classes),
    classMapSource: source,
    splits,
    files,
    counts,
    ignored,
  };
}

/** Compares by UTF-16 code units: locale-independent, so every machine sorts alike. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function assertDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch((error: unknown) => {
    if (isErrnoException(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  });
  if (info?.isDirectory()) return;
  throw new MlopsError(
    'MLOPS_ERR_DATA_INVALID',
    info ? `data folder ${dir} is a file, not a directory` : `data folder ${dir} does not exist`,
    {
      file: dir,
      hint: `Point data.path at an ImageFolder tree (<split>/<class>/<image>), or restore it from its manifest: \`mlops data checkout ${dir}.mlops-data.json\`.`,
    },
  );
}

async function findSplits(root: string, options: ScanOptions): Promise<Record<string, string>> {
  const existing = await listDirectories(root);
  const optional = new Set(options.optionalSplits ?? []);
  const splits: Record<string, string> = {};
  for (const [split, folder] of Object.entries(options.splits)) {
    if (folder === undefined) continue;
    if (existing.includes(folder)) {
      splits[split] = folder;
    } else if (!optional.has(split)) {
      const listing = existing.length > 0 ? existing.join(', ') : 'no folders';
      throw new MlopsError(
        'MLOPS_ERR_DATA_INVALID',
        `split folder ${join(root, folder)} (split "${split}") does not exist; ${root} contains: ${listing}`,
        {
          file: join(root, folder),
          hint: `Create it, or set data.splits.${split} to the folder holding the ${split} images.`,
        },
      );
    }
  }
  return splits;
}

async function chooseClassMap(
  root: string,
  splits: Record<string, string>,
  options: ScanOptions,
): Promise<{ classMap: ClassMap; source: ClassMapSource }> {
  if (options.classMap !== undefined) {
    return { classMap: await loadClassMap(options.classMap, options.baseDir), source: 'option' };
  }
  const labels = await readClassesFile(root);
  if (labels) {
    const ordered: ClassMap = {};
    for (const label of labels.classes) ordered[label] = labels.classMap[label] ?? [];
    return { classMap: ordered, source: 'classes.json' };
  }
  const folders = new Set<string>();
  for (const folder of Object.values(splits)) {
    for (const name of await listDirectories(join(root, folder))) folders.add(name);
  }
  const classMap: ClassMap = {};
  for (const name of [...folders].sort(comparePaths)) classMap[name] = [name];
  return { classMap, source: 'folders' };
}

function selectClasses(
  classMap: ClassMap,
  source: ClassMapSource,
  wanted: readonly string[] | undefined,
  root: string,
): string[] {
  const known = Object.keys(classMap);
  // Labels of a user's class map are sorted like folder names (torchvision's ImageFolder order, which
  // the replaced system used); classes.json carries the canonical order of generated datasets.
  const all = source === 'option' ? [...known].sort(comparePaths) : known;
  if (wanted === undefined) return all;
  for (const label of wanted) {
    if (!(label in classMap)) {
      throw new MlopsError(
        'MLOPS_ERR_DATA_INVALID',
        `data.classes names "${label}", which is not a class of ${root}; its classes are: ${all.join(', ')}`,
        { hint: 'Fix data.classes (or data.classMap) so every listed label exists.' },
      );
    }
  }
  return [...new Set(wanted)];
}

function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new MlopsError(
      'MLOPS_ERR_DATA_INVALID',
      `data.limitPerClass must be a positive integer, got ${limit}`,
      {
        hint: 'Set data.limitPerClass to a whole number of images, or remove it to use every image.',
      },
    );
  }
  return limit;
}

function assertTrainCoverage(
  root: string,
  splits: Record<string, string>,
  classes: string[],
  classMap: ClassMap,
  counts: Record<string, Record<string, number>>,
  present: Record<string, Set<string>>,
): void {
  const train = splits.train;
  if (train === undefined) return;
  for (const label of classes) {
    if ((counts.train?.[label] ?? 0) > 0) continue;
    const classFolders = classMap[label] ?? [];
    // Name the folders that exist: a class known only from another split has no train folder.
    const inTrain = classFolders.filter((f) => present.train?.has(f)).map((f) => join(root, train, f));
    const trainPart =
      inTrain.length > 0
        ? inTrain.join(', ')
        : `there is no ${classFolders.map((f) => join(root, train, f)).join(' or ')} folder`;
    const elsewhere = Object.keys(splits).find((s) => s !== 'train' && (counts[s]?.[label] ?? 0) > 0);
    if (elsewhere !== undefined) {
      throw new MlopsError(
        'MLOPS_ERR_DATA_INVALID',
        `class "${label}" has images in split "${elsewhere}" (${join(root, splits[elsewhere] ?? elsewhere)}) but none in train (${trainPart})`,
        {
          file: inTrain[0] ?? join(root, train),
          hint: `Add training images for "${label}", or remove its folder from the ${elsewhere} split (or from the class map).`,
        },
      );
    }
    if (inTrain.length === 0) {
      const empty = Object.entries(splits).flatMap(([split, folder]) =>
        classFolders.filter((f) => present[split]?.has(f)).map((f) => join(root, folder, f)),
      );
      if (empty.length > 0) {
        throw new MlopsError(
          'MLOPS_ERR_DATA_INVALID',
          `class "${label}" comes only from the empty folder ${empty.join(', ')} (${trainPart})`,
          {
            file: empty[0],
            hint: `Remove the empty folder ${empty.join(', ')}, or add training images for "${label}" in ${join(root, train, classFolders[0] ?? label)}.`,
          },
        );
      }
    }
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `class "${label}" has no images in train (${trainPart})`, {
      file: inTrain[0] ?? join(root, train),
      hint: `Add images to that folder, or drop "${label}" from data.classMap / data.classes.`,
    });
  }
}

function missingClassFolder(label: string, path: string, present: Set<string>): MlopsError {
  const some = [...present].sort(comparePaths).slice(0, 10);
  const listing =
    some.length > 0 ? `; folders there: ${some.join(', ')}${present.size > 10 ? ', ...' : ''}` : '';
  return new MlopsError(
    'MLOPS_ERR_DATA_INVALID',
    `class map folder ${path} (class "${label}") does not exist${listing}`,
    { file: path, hint: 'Fix the folder name in data.classMap, or add the folder to every split.' },
  );
}

async function listDirectories(dir: string): Promise<string[]> {
  const entries = await readEntries(dir);
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(join(dir, entry.name))))) {
      names.push(entry.name);
    }
  }
  return names.sort(comparePaths);
}

async function listImages(
  dir: string,
  relDir: string,
  extensions: ReadonlySet<string>,
): Promise<{ images: string[]; ignored: number }> {
  const images: string[] = [];
  let ignored = 0;
  for (const entry of await readEntries(dir)) {
    // Dotfiles (.DS_Store, editor swap files) are neither images nor worth a warning.
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    const rel = `${relDir}/${entry.name}`;
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(full)));
    if (isDir) {
      const nested = await listImages(full, rel, extensions);
      images.push(...nested.images);
      ignored += nested.ignored;
    } else if (extensions.has(extname(entry.name).toLowerCase())) {
      images.push(rel);
    } else {
      ignored++;
    }
  }
  return { images, ignored };
}

async function readEntries(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true });
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

function pick(classMap: ClassMap, labels: string[]): ClassMap {
  const out: ClassMap = {};
  for (const label of labels) out[label] = classMap[label] ?? [];
  return out;
}
