import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-write.js';
import { sha256 } from '../util/hash.js';
import type { ClassMap } from './class-map.js';
import { CLASSES_FILE, makeClassesFile } from './classes-file.js';
import { uniqueFolderNames } from './folder-name.js';
import type { ScannedImage, ScanResult } from './scan-image-folder.js';

/** One file of a dataset tree: its path in the tree and the file holding its content. */
export interface DatasetTreeEntry {
  /** `<split>/<class folder>/<name>`, or `classes.json`. */
  path: string;
  /** Absolute path of the content. */
  file: string;
}

/**
 * Lays out accepted images as the canonical dataset tree the data stage stores:
 * `<split>/<class folder>/<image>` with logical split names (`train`, `validation`, `test`),
 * one filesystem-safe folder per label, and `classes.json` at the root mapping labels (in index
 * order) to those folders. Images of a label merged from several folders are prefixed with their
 * folder name, and nested paths are flattened with `__`, so names stay unique and stable.
 * `classes.json` is written into `workDir`.
 */
export async function datasetTreeEntries(
  scan: ScanResult,
  images: readonly ScannedImage[],
  workDir: string,
): Promise<DatasetTreeEntry[]> {
  const folders = uniqueFolderNames(scan.classes);
  const classMap: ClassMap = {};
  scan.classes.forEach((label, i) => {
    classMap[label] = [folders[i] ?? label];
  });
  const classesPath = join(workDir, CLASSES_FILE);
  await writeFileAtomic(classesPath, `${JSON.stringify(makeClassesFile(scan.classes, classMap), null, 2)}\n`);

  const entries: DatasetTreeEntry[] = [{ path: CLASSES_FILE, file: classesPath }];
  const taken = new Set<string>([CLASSES_FILE]);
  for (const image of images) {
    const dir = `${image.split}/${folders[image.classIndex]}`;
    let path = `${dir}/${imageName(scan, image)}`;
    if (taken.has(path)) path = `${dir}/${disambiguate(imageName(scan, image), image.relPath)}`;
    taken.add(path);
    entries.push({ path, file: image.path });
  }
  return entries;
}

/** The image's name inside its class folder of the canonical tree. */
function imageName(scan: ScanResult, image: ScannedImage): string {
  const splitFolder = scan.splits[image.split] ?? image.split;
  // relPath = <split folder>/<class folder>/<rest>
  const inSplit = image.relPath.slice(splitFolder.length + 1);
  const merged = (scan.classMap[image.label]?.length ?? 1) > 1;
  const slash = inSplit.indexOf('/');
  const inClass = merged ? inSplit : inSplit.slice(slash + 1);
  return inClass.split('/').join('__');
}

/** `name` with a short hash of the source path before the extension. */
function disambiguate(name: string, relPath: string): string {
  const dot = name.lastIndexOf('.');
  const tag = sha256(relPath).slice(0, 8);
  return dot > 0 ? `${name.slice(0, dot)}-${tag}${name.slice(dot)}` : `${name}-${tag}`;
}
