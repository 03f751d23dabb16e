import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { MlopsError } from '../errors.js';
import { type ConfigLayer, isPlainObject, setPath } from './config-layers.js';
import { configKeyPaths } from './schema-keys.js';
import { didYouMean, suggestName } from './suggest.js';
import { TIMM_IGNORED_KEYS, TIMM_KEYS, TOP_LEVEL_KEYS } from './timm-keys.js';

/** A problem that does not stop the run, e.g. a timm key mlops has no use for. */
export interface ConfigWarning {
  /** File concerned. */
  file: string;
  /** Dotted key path. */
  path: string;
  /** What is wrong and what happens. */
  message: string;
  /**
   * Set for a key the config does not know: the loader makes it an error unless the config is
   * lenient (`--lenient`, or `strict: false`), when it stays a warning and the key is ignored.
   */
  unknownKey?: { suggestion?: string };
}

/** Reads a YAML file into a plain object, with a clear error naming the file and line. */
export async function readYamlFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new MlopsError('MLOPS_ERR_CONFIG_NOT_FOUND', `cannot read config preset ${file}`, {
      file,
      hint: 'check the path in `extends` (it is relative to the file that names it)',
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? `:${error.linePos[0].line}` : '';
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `${file}${where}: invalid YAML: ${(error as Error).message.split('\n')[0]}`,
      {
        file,
        cause: error,
      },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `${file}: expected a mapping of config keys at the top level`,
      {
        file,
      },
    );
  }
  return parsed;
}

/**
 * Maps timm-style flat keys (`lr_base`, `warmup_epochs`, `smoothing`, ...) of a config object onto
 * mlops paths; everything else passes through. Top-level keys that are neither mlops sections nor
 * timm keys are removed and reported (flagged `unknownKey`, with a "did you mean"), never silently
 * ignored; timm arguments mlops has no equivalent for (`amp`, `workers`, ...) are plain warnings.
 */
export function normalizeConfigKeys(
  raw: Record<string, unknown>,
  file: string,
  warnings: ConfigWarning[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const timmValues: [string, unknown][] = [];
  for (const [key, value] of Object.entries(raw)) {
    const mapping = TIMM_KEYS[key];
    // `model` is both an mlops section (object) and a timm key (architecture string).
    if (TOP_LEVEL_KEYS.has(key) && !(key === 'model' && typeof value === 'string')) {
      out[key] = value;
    } else if (mapping) {
      timmValues.push([key, value]);
    } else if (TIMM_IGNORED_KEYS.has(key)) {
      warnings.push({ file, path: key, message: `timm key "${key}" has no mlops equivalent; ignored` });
    } else {
      const suggestion = suggestTopLevelKey(key);
      warnings.push({
        file,
        path: key,
        message: `unknown key${didYouMean(suggestion)} (top-level keys: ${[...TOP_LEVEL_KEYS].join(', ')}, or timm keys such as lr_base, warmup_epochs)`,
        unknownKey: suggestion === undefined ? {} : { suggestion },
      });
    }
  }
  for (const [key, value] of timmValues) {
    const mapping = TIMM_KEYS[key];
    if (!mapping) continue;
    setPath(out, mapping.path, mapping.convert ? mapping.convert(value) : value);
    // A timm data_dir means an ImageFolder on disk.
    if (key === 'data_dir' && !(isPlainObject(out.data) && 'source' in out.data)) {
      setPath(out, 'data.source', 'imagefolder');
    }
  }
  return out;
}

/**
 * The closest known name for an unknown top-level key: an mlops section, a timm key, or a key of a
 * section written at the top level by mistake (`epochs` and `limitPerClass` → `data.limitPerClass`).
 */
function suggestTopLevelKey(key: string): string | undefined {
  const direct = suggestName(key, [...TOP_LEVEL_KEYS, ...Object.keys(TIMM_KEYS)]);
  if (direct !== undefined) return direct;
  const nested = configKeyPaths().filter((path) => path.includes('.'));
  const leaf = suggestName(
    key,
    nested.map((path) => path.slice(path.lastIndexOf('.') + 1)),
  );
  return leaf === undefined ? undefined : nested.find((path) => path.endsWith(`.${leaf}`));
}

/**
 * Expands a YAML preset and, recursively, the presets it `extends` (relative to itself) into
 * layers, base first. Cycles are an error.
 */
export async function presetLayers(
  file: string,
  warnings: ConfigWarning[],
  seen: Set<string> = new Set(),
): Promise<ConfigLayer[]> {
  const path = resolve(file);
  if (seen.has(path)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `${path}: "extends" cycle through ${[...seen].join(' → ')}`,
      {
        file: path,
      },
    );
  }
  seen.add(path);
  const raw = await readYamlFile(path);
  const { extends: parents, ...rest } = raw;
  const layers = await extendsLayers(parents, dirname(path), path, warnings, seen);
  layers.push({ source: path, values: normalizeConfigKeys(rest, path, warnings) });
  return layers;
}

/** Layers of an `extends` value (a path or a list of paths) relative to `baseDir`. */
export async function extendsLayers(
  parents: unknown,
  baseDir: string,
  file: string,
  warnings: ConfigWarning[],
  seen: Set<string> = new Set(),
): Promise<ConfigLayer[]> {
  if (parents === undefined || parents === null) return [];
  const list = Array.isArray(parents) ? parents : [parents];
  const layers: ConfigLayer[] = [];
  for (const parent of list) {
    if (typeof parent !== 'string') {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `${file}: extends: expected a file path or a list of paths`,
        {
          file,
        },
      );
    }
    layers.push(...(await presetLayers(resolve(baseDir, parent), warnings, new Set(seen))));
  }
  return layers;
}
