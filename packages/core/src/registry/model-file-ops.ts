/**
 * The registry's semantics as pure operations on a {@link ModelFile}: registering a version,
 * selecting one, promoting with the gate, removing an alias, and the errors that name what exists.
 * Every registry that keeps a model as one document (the local `model.json`, a bucket object)
 * runs these inside its own read-modify-write, so storage is all that differs between them.
 */
import { hostname, userInfo } from 'node:os';
import { MlopsError } from '../errors.js';
import type {
  AliasMove,
  ModelVersion,
  PromoteOptions,
  RegisterModelInput,
  VersionSelector,
} from '../services/model-registry.js';
import { isSha256 } from '../store/object-layout.js';
import {
  emptyModelFile,
  latestVersion,
  type ModelFile,
  type StoredModelVersion,
  toModelVersion,
} from './model-file.js';
import { assertAliasName, assertModelName } from './names.js';
import { checkPromotionGate } from './promotion-gate.js';

/** What one registry write computes: the new document (none = nothing to write), moves, result. */
export interface ModelFileMutation<T> {
  /** The document to write, or `undefined` when nothing changed. */
  next: ModelFile | undefined;
  /** Alias moves to append to the history. */
  moves: AliasMove[];
  /** What the registry call returns. */
  result: T;
}

/** Who moved an alias when the caller names nobody: `user@host`. */
export function defaultRegistryActor(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`; // no passwd entry for this uid (some containers)
  }
}

/**
 * Checks a registration before any I/O: the model and alias names and every artifact reference.
 * Returns the aliases, deduplicated.
 */
export function validateRegisterInput(input: RegisterModelInput): string[] {
  assertModelName(input.model);
  const aliases = [...new Set(input.aliases ?? [])];
  aliases.forEach(assertAliasName);
  for (const [role, ref] of Object.entries(input.artifacts)) {
    if (!isSha256(ref?.hash) || (ref.kind !== 'file' && ref.kind !== 'dir')) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `artifact "${role}" of ${input.model} is not an artifact reference`,
        {
          hint: 'Pass the ArtifactRef returned by the artifact store (hash, kind, size).',
        },
      );
    }
  }
  return aliases;
}

/**
 * Adds the next version (highest + 1) and points `aliases` at it (no gate: registering a new
 * version is not a promotion). Non-finite metrics cannot be stored in JSON and are left out.
 *
 * With `input.reuseIdentical` it is idempotent by artifact hash: artifacts identical to an
 * existing version's (the same roles, the same hashes) register nothing new and return that
 * version; of `aliases`, only those the model does not have yet are pointed at it (an alias held
 * by another version is not moved back).
 */
export function registerInModelFile(
  current: ModelFile | undefined,
  input: RegisterModelInput,
  aliases: readonly string[],
  actor: string,
): ModelFileMutation<ModelVersion> {
  const file = current ?? emptyModelFile(input.model);
  const same = input.reuseIdentical
    ? file.versions.find((version) => sameArtifacts(version.artifacts, input.artifacts))
    : undefined;
  if (same) {
    const unset = aliases.filter((alias) => file.aliases[alias] === undefined);
    const moves = unset.map((alias) =>
      moveAlias(
        file,
        alias,
        same.version,
        { reason: `registered again (same artifacts as v${same.version})` },
        actor,
      ),
    );
    return { next: moves.length > 0 ? file : undefined, moves, result: toModelVersion(file, same) };
  }
  const stored: StoredModelVersion = {
    model: input.model,
    version: latestVersion(file) + 1,
    artifacts: input.artifacts,
    metrics: Object.fromEntries(
      Object.entries(input.metrics ?? {}).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)),
    ),
    lineage: input.lineage ?? {},
    metadata: input.metadata ?? {},
    createdAt: new Date().toISOString(),
  };
  file.versions.push(stored);
  const moves = aliases.map((alias) =>
    moveAlias(file, alias, stored.version, { reason: 'registered' }, actor),
  );
  return { next: file, moves, result: toModelVersion(file, stored) };
}

/** Same roles with the same content hashes. */
function sameArtifacts(a: Record<string, { hash: string }>, b: Record<string, { hash: string }>): boolean {
  const roles = Object.keys(a);
  return (
    roles.length > 0 &&
    roles.length === Object.keys(b).length &&
    roles.every((role) => b[role] !== undefined && a[role]?.hash === b[role]?.hash)
  );
}

/** The version an alias, number or `latest` (the highest number) selects. */
export function selectInModelFile(file: ModelFile, selector: VersionSelector): ModelVersion {
  let number: number;
  if (selector === 'latest') {
    number = latestVersion(file);
  } else if ('alias' in selector) {
    const aliased = file.aliases[selector.alias];
    if (aliased === undefined) throw aliasNotFoundError(file, selector.alias);
    number = aliased;
  } else {
    number = selector.version;
  }
  return toModelVersion(file, findStoredVersion(file, number));
}

/**
 * Points `alias` at `version`. With a gate, refuses (`MLOPS_ERR_REGISTRY_GATE`) a version worse
 * than the alias's current holder, unless `force`, in which case the move is recorded as forced.
 * Promoting to the version the alias already holds changes nothing and records nothing.
 */
export function promoteInModelFile(
  file: ModelFile,
  version: number,
  alias: string,
  options: PromoteOptions,
  actor: string,
): ModelFileMutation<AliasMove> {
  const candidate = findStoredVersion(file, version);
  const from = file.aliases[alias] ?? null;
  if (from === version) {
    return {
      next: undefined,
      moves: [],
      result: makeAliasMove({ alias, model: file.name, from, to: version }, options, actor),
    };
  }
  const holder = from === null ? undefined : file.versions.find((v) => v.version === from);
  const refusal = options.gate
    ? checkPromotionGate(options.gate, alias, candidate, holder, options.evidence)
    : undefined;
  if (refusal && !options.force) throw refusal;
  const move = moveAlias(file, alias, version, { ...options, forced: refusal !== undefined }, actor);
  return { next: file, moves: [move], result: move };
}

/** Removes an alias (`MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND` when the model has no such alias). */
export function removeAliasInModelFile(
  file: ModelFile,
  alias: string,
  options: { actor?: string; reason?: string },
  actor: string,
): ModelFileMutation<AliasMove> {
  const from = file.aliases[alias];
  if (from === undefined) throw aliasNotFoundError(file, alias);
  delete file.aliases[alias];
  const move = makeAliasMove({ alias, model: file.name, from, to: null }, options, actor);
  return { next: file, moves: [move], result: move };
}

/** An alias move record, stamped now, with `actor` when the options name nobody. */
export function makeAliasMove(
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
export function findStoredVersion(file: ModelFile, version: number): StoredModelVersion {
  const found = file.versions.find((v) => v.version === version);
  if (found) return found;
  const numbers = file.versions.map((v) => v.version).sort((a, b) => a - b);
  throw new MlopsError(
    'MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND',
    `model "${file.name}" has no version ${version}; versions: ${describeVersions(numbers)}`,
    { hint: `\`mlops registry show ${file.name}\` shows its versions.` },
  );
}

/** `MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND` listing the aliases there are. */
export function aliasNotFoundError(file: ModelFile, alias: string): MlopsError {
  const aliases = Object.keys(file.aliases).sort();
  const known = aliases.length === 0 ? 'it has no aliases yet' : `aliases: ${aliases.join(', ')}`;
  return new MlopsError(
    'MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND',
    `model "${file.name}" has no alias "${alias}"; ${known}`,
    {
      hint: `Point it at a version with \`mlops registry promote ${file.name} <version> ${alias}\`.`,
    },
  );
}

/** `MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND` naming where it looked and, when known, the models there are. */
export function modelNotFoundError(model: string, location: string, names?: string[]): MlopsError {
  const known =
    names === undefined
      ? ''
      : `; ${names.length === 0 ? 'the registry has no models yet' : `models: ${[...names].sort().join(', ')}`}`;
  return new MlopsError(
    'MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND',
    `model "${model}" not found in ${location}${known}`,
    {
      hint: 'Check the name with `mlops registry list`; a model is created by registering its first version (the export stage).',
    },
  );
}

/** Sets `alias` → `version` in `file`; returns the move to record. */
function moveAlias(
  file: ModelFile,
  alias: string,
  version: number,
  options: { actor?: string; reason?: string; forced?: boolean },
  actor: string,
): AliasMove {
  const from = file.aliases[alias] ?? null;
  file.aliases[alias] = version;
  return makeAliasMove({ alias, model: file.name, from, to: version }, options, actor);
}

/** `1..5` when contiguous from 1 (the usual case), else the list. */
function describeVersions(numbers: number[]): string {
  if (numbers.length === 0) return 'none';
  const contiguous = numbers.every((n, i) => n === i + 1);
  return contiguous && numbers.length > 2 ? `1..${numbers.length}` : numbers.join(', ');
}
