/**
 * Alias moves and the lookup errors of the bucket registry, worded as core's local registry words
 * them so both registries read the same to a user.
 */
import { hostname, userInfo } from 'node:os';
import { type AliasMove, MlopsError, type ModelFile, type StoredModelVersion } from '@mlops/core';

/** An alias move record, with the default actor when the options name none. */
export function makeMove(
  base: Pick<AliasMove, 'alias' | 'model' | 'from' | 'to'>,
  options: { actor?: string; reason?: string; forced?: boolean },
  actor: string,
): AliasMove {
  const move: AliasMove = { ...base, at: new Date().toISOString(), actor: options.actor ?? actor };
  if (options.reason !== undefined) move.reason = options.reason;
  if (options.forced) move.forced = true;
  return move;
}

/** The stored version `version`, or `MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND` listing the versions. */
export function findVersion(file: ModelFile, version: number): StoredModelVersion {
  const found = file.versions.find((v) => v.version === version);
  if (found) return found;
  throw new MlopsError(
    'MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND',
    `model "${file.name}" has no version ${version}; versions: ${file.versions.map((v) => v.version).join(', ') || 'none'}`,
    { hint: `\`mlops registry list ${file.name}\` shows its versions.` },
  );
}

/** `MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND` listing the aliases there are. */
export function aliasNotFound(file: ModelFile, alias: string): MlopsError {
  const aliases = Object.keys(file.aliases).sort();
  return new MlopsError(
    'MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND',
    `model "${file.name}" has no alias "${alias}"; ${aliases.length ? `aliases: ${aliases.join(', ')}` : 'it has no aliases yet'}`,
    { hint: `Point it at a version with \`mlops registry promote ${file.name} <version> ${alias}\`.` },
  );
}

/** Throws `MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND`. */
export function throwModelNotFound(model: string, location: string): never {
  throw new MlopsError('MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND', `model "${model}" not found in ${location}`, {
    hint: 'Check the name with `mlops registry list`; a model is created by registering its first version (the export stage).',
  });
}

/** `user@host` of this process. */
export function defaultActor(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`;
  }
}
