import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MlopsError } from '../errors.js';
import { isErrnoException } from '../store/atomic-write.js';

/**
 * Label → the folder names merged under that label, e.g.
 * `{ "minibus": ["n03769881"], "car": ["n02814533", "n04285008"] }`.
 */
export type ClassMap = Record<string, string[]>;

/**
 * Loads a class map given inline or as a JSON/YAML file path (relative paths resolve against
 * `baseDir`). Folder names may be written as numbers (`[654]`) and are read as strings. Throws
 * `MLOPS_ERR_DATA_INVALID` naming the file when it is missing or malformed, or when one folder is
 * mapped to two labels.
 */
export async function loadClassMap(
  spec: string | ClassMap,
  baseDir: string = process.cwd(),
): Promise<ClassMap> {
  if (typeof spec !== 'string') return validateClassMap(spec, 'data.classMap');
  const file = resolve(baseDir, spec);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw error;
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `class map file ${file} does not exist`, {
      file,
      hint: 'Fix data.classMap: a JSON or YAML file mapping each label to its folder names, e.g. {"car": ["n02814533"]}.',
    });
  }
  let value: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both kinds of file.
    value = parseYaml(text);
  } catch (error) {
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `class map file ${file} is not valid JSON or YAML`, {
      file,
      cause: error,
      hint: 'Fix the syntax error; the file must map each label to a list of folder names.',
    });
  }
  return validateClassMap(value, file);
}

function validateClassMap(value: unknown, source: string): ClassMap {
  const invalid = (why: string): MlopsError =>
    new MlopsError('MLOPS_ERR_DATA_INVALID', `class map ${source} is invalid: ${why}`, {
      file: source === 'data.classMap' ? undefined : source,
      hint: 'A class map is an object mapping each label to a non-empty list of folder names, e.g. {"car": ["n02814533"]}.',
    });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('not an object');
  const map: ClassMap = {};
  const owner = new Map<string, string>();
  for (const [label, folders] of Object.entries(value as Record<string, unknown>)) {
    const list = Array.isArray(folders) ? folders : [folders];
    if (list.length === 0) throw invalid(`label "${label}" has no folders`);
    map[label] = list.map((folder) => {
      if (typeof folder !== 'string' && typeof folder !== 'number') {
        throw invalid(`label "${label}" lists ${JSON.stringify(folder)}, which is not a folder name`);
      }
      const name = String(folder);
      const previous = owner.get(name);
      if (previous !== undefined && previous !== label) {
        throw invalid(`folder "${name}" is mapped to both "${previous}" and "${label}"`);
      }
      owner.set(name, label);
      return name;
    });
  }
  if (Object.keys(map).length === 0) throw invalid('it maps no labels');
  return map;
}
