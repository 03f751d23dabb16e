/**
 * The stored state of one model, `models/<name>/model.json`: its versions (without aliases, which
 * live in one map so an alias move rewrites one key) and its aliases. `revision` counts writes.
 */

import { MlopsError } from '../errors.js';
import type { ModelSummary, ModelVersion } from '../services/model-registry.js';
import { readJsonIfExists } from '../store/atomic-write.js';

/** A version as stored: aliases are derived from {@link ModelFile.aliases}. */
export type StoredModelVersion = Omit<ModelVersion, 'aliases'>;

/** Content of `model.json`. */
export interface ModelFile {
  /** Format marker. */
  format: 'mlops-model/1';
  /** Model name. */
  name: string;
  /** Incremented by every write. */
  revision: number;
  /** Versions, oldest first. */
  versions: StoredModelVersion[];
  /** alias → version. */
  aliases: Record<string, number>;
  /** ISO time of the last write. */
  updatedAt: string;
}

/** Format marker of {@link ModelFile}. */
export const MODEL_FILE_FORMAT = 'mlops-model/1';

/** A model with no versions yet, as the first `register` starts from. */
export function emptyModelFile(name: string): ModelFile {
  return {
    format: MODEL_FILE_FORMAT,
    name,
    revision: 0,
    versions: [],
    aliases: {},
    updatedAt: new Date().toISOString(),
  };
}

/** Reads `model.json`; undefined when absent; `MLOPS_ERR_STORE_CORRUPT` naming the file when malformed. */
export async function readModelFile(path: string): Promise<ModelFile | undefined> {
  const file = await readJsonIfExists<ModelFile>(path);
  if (file === undefined) return undefined;
  if (
    file?.format !== MODEL_FILE_FORMAT ||
    !Array.isArray(file.versions) ||
    typeof file.aliases !== 'object'
  ) {
    throw new MlopsError(
      'MLOPS_ERR_STORE_CORRUPT',
      `${path} is not a registry model file (${MODEL_FILE_FORMAT})`,
      {
        file: path,
        hint: 'Restore the file from a backup; the versions are also listed in history.jsonl next to it.',
      },
    );
  }
  return file;
}

/** A stored version with the aliases that point at it. */
export function toModelVersion(file: ModelFile, version: StoredModelVersion): ModelVersion {
  const aliases = Object.keys(file.aliases)
    .filter((alias) => file.aliases[alias] === version.version)
    .sort();
  return { ...version, aliases };
}

/** The highest version number, 0 for none. */
export function latestVersion(file: ModelFile): number {
  return file.versions.reduce((max, v) => Math.max(max, v.version), 0);
}

/** The summary `listModels` returns. */
export function toModelSummary(file: ModelFile): ModelSummary {
  return {
    name: file.name,
    versions: file.versions.length,
    latest: latestVersion(file),
    aliases: { ...file.aliases },
    updatedAt: file.updatedAt,
  };
}
