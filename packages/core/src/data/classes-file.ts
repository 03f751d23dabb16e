import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MlopsError } from '../errors.js';
import { isErrnoException } from '../store/atomic-write.js';
import type { ClassMap } from './class-map.js';

/** Name of the labels file at the root of a dataset tree. */
export const CLASSES_FILE = 'classes.json';

/**
 * `classes.json` at the root of an ImageFolder tree: the labels in index order and the folders
 * holding each label's images. The data stage writes it into every dataset it stores, and
 * generated sources (fashion-mnist) write it too, so labels that are not valid folder names
 * (`T-shirt/top`) and the canonical class order survive a round trip through the filesystem.
 * When present it is the tree's default class map.
 */
export interface ClassesFile {
  /** Format marker. */
  format: 'mlops-classes/1';
  /** Labels, in class-index order. */
  classes: string[];
  /** Label → folder names (relative to each split folder). */
  classMap: ClassMap;
}

/** Builds a {@link ClassesFile}. */
export function makeClassesFile(classes: string[], classMap: ClassMap): ClassesFile {
  return { format: 'mlops-classes/1', classes, classMap };
}

/** Reads `<root>/classes.json`; undefined when the tree has none. Throws when it is malformed. */
export async function readClassesFile(root: string): Promise<ClassesFile | undefined> {
  const file = join(root, CLASSES_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
  let value: Partial<ClassesFile> | undefined;
  try {
    value = JSON.parse(text) as Partial<ClassesFile>;
  } catch {
    value = undefined;
  }
  const classes = value?.classes;
  const classMap = value?.classMap;
  const valid =
    value?.format === 'mlops-classes/1' &&
    Array.isArray(classes) &&
    classes.every((c) => typeof c === 'string') &&
    classMap !== null &&
    typeof classMap === 'object' &&
    classes.every((c) => Array.isArray(classMap[c]) && classMap[c].every((f) => typeof f === 'string'));
  if (!valid) {
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `${file} is not a valid labels file (mlops-classes/1)`, {
      file,
      hint: 'Delete it to use one class per folder, or write {"format":"mlops-classes/1","classes":[...],"classMap":{label:[folders]}}.',
    });
  }
  return { format: 'mlops-classes/1', classes, classMap };
}
