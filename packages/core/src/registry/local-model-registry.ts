/**
 * The embedded model registry, under `<store>/registry/`:
 *
 * - `models/<name>/model.json`: versions and aliases ({@link ModelFile}), rewritten atomically.
 * - `models/<name>/history.jsonl`: every alias move, appended.
 * - `locks/<name>.lock`: the cross-process lock of a model's writes.
 *
 * Every mutation is a read-modify-write of `model.json` under the model's lock (serialized in
 * process first, so one process does not contend with itself), then the history append, both
 * before the lock is released. Readers take no lock: atomic renames mean they always see a
 * complete `model.json`. The one window is a crash between the `model.json` write and the history
 * append, which loses that move's history line but never the registry state.
 */
import { readdir } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { MlopsError } from '../errors.js';
import type {
  AliasMove,
  ModelRegistry,
  ModelSummary,
  ModelVersion,
  PromoteOptions,
  RegisterModelInput,
  VersionSelector,
} from '../services/model-registry.js';
import { isErrnoException, writeJsonAtomic } from '../store/atomic-write.js';
import { KeyedMutex } from '../store/keyed-mutex.js';
import { isSha256 } from '../store/object-layout.js';
import { appendHistory, readHistory } from './history-file.js';
import {
  emptyModelFile,
  latestVersion,
  type ModelFile,
  readModelFile,
  type StoredModelVersion,
  toModelSummary,
  toModelVersion,
} from './model-file.js';
import { withLock } from './model-lock.js';
import { assertAliasName, assertModelName } from './names.js';
import { checkPromotionGate } from './promotion-gate.js';
import { type WatchHistoryOptions, watchHistory } from './watch-history.js';

/** Options of {@link LocalModelRegistry}. */
export interface LocalModelRegistryOptions {
  /** Recorded as the actor of moves that name none. Default `user@host`. */
  actor?: string;
  /** Tuning of {@link LocalModelRegistry.watch}. */
  watch?: WatchHistoryOptions;
}

/** What one locked mutation computed. */
interface Mutation<T> {
  /** The new state, or undefined when nothing changes (no write, no history). */
  next: ModelFile | undefined;
  /** Moves to append to the history. */
  moves: AliasMove[];
  /** What the public method returns. */
  result: T;
}

/** {@link ModelRegistry} on the local filesystem; see the module comment for the layout. */
export class LocalModelRegistry implements ModelRegistry {
  /** Absolute path of the registry directory. */
  readonly dir: string;
  private readonly actor: string;
  private readonly watchOptions: WatchHistoryOptions;
  private readonly mutex = new KeyedMutex();

  /** Registry of the store rooted at `root` (e.g. `.mlops`). */
  constructor(root: string, options: LocalModelRegistryOptions = {}) {
    this.dir = join(resolve(root), 'registry');
    this.actor = options.actor ?? defaultActor();
    this.watchOptions = options.watch ?? {};
  }

  /**
   * Registers the next version (highest existing + 1) and points `input.aliases` at it (no gate:
   * a new version is not a promotion). Non-finite metrics (NaN, Infinity) cannot be stored in
   * JSON and are left out; a gate on such a metric then refuses the version.
   */
  async register(input: RegisterModelInput): Promise<ModelVersion> {
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
    return this.mutate(input.model, (current) => {
      const file = current ?? emptyModelFile(input.model);
      const stored: StoredModelVersion = {
        model: input.model,
        version: latestVersion(file) + 1,
        artifacts: input.artifacts,
        metrics: finiteMetrics(input.metrics ?? {}),
        lineage: input.lineage ?? {},
        metadata: input.metadata ?? {},
        createdAt: new Date().toISOString(),
      };
      file.versions.push(stored);
      const moves = aliases.map((alias) =>
        this.moveAlias(file, alias, stored.version, { reason: 'registered' }),
      );
      return { next: file, moves, result: toModelVersion(file, stored) };
    });
  }

  /** All models, by name. */
  async listModels(): Promise<ModelSummary[]> {
    const models: ModelSummary[] = [];
    for (const name of (await this.modelNames()).sort()) {
      const file = await readModelFile(this.modelFilePath(name));
      if (file) models.push(toModelSummary(file));
    }
    return models;
  }

  /** All versions of a model, oldest first. */
  async listVersions(model: string): Promise<ModelVersion[]> {
    const file = await this.readExisting(model);
    return [...file.versions].sort((a, b) => a.version - b.version).map((v) => toModelVersion(file, v));
  }

  /** The version an alias, number or `latest` (the highest number) selects. */
  async resolve(model: string, selector: VersionSelector): Promise<ModelVersion> {
    const file = await this.readExisting(model);
    let number: number;
    if (selector === 'latest') {
      number = latestVersion(file);
    } else if ('alias' in selector) {
      const aliased = file.aliases[selector.alias];
      if (aliased === undefined) throw aliasNotFound(file, selector.alias);
      number = aliased;
    } else {
      number = selector.version;
    }
    return toModelVersion(file, findVersion(file, number));
  }

  /**
   * Points `alias` at `version`. With a gate, refuses (`MLOPS_ERR_REGISTRY_GATE`) a version worse
   * than the alias's current holder, unless `force`, in which case the move is recorded as forced.
   * Promoting to the version the alias already holds changes nothing and records nothing.
   */
  async promote(
    model: string,
    version: number,
    alias: string,
    options: PromoteOptions = {},
  ): Promise<AliasMove> {
    assertAliasName(alias);
    await this.readExisting(model); // the not-found error that lists the models there are
    return this.mutate(model, (current) => {
      const file = current ?? throwModelNotFound(model, this.dir, []);
      const candidate = findVersion(file, version);
      const from = file.aliases[alias] ?? null;
      if (from === version) {
        return {
          next: undefined,
          moves: [],
          result: makeMove({ alias, model, from, to: version }, options, this.actor),
        };
      }
      const holder = from === null ? undefined : file.versions.find((v) => v.version === from);
      const refusal = options.gate ? checkPromotionGate(options.gate, alias, candidate, holder) : undefined;
      if (refusal && !options.force) throw refusal;
      const move = this.moveAlias(file, alias, version, { ...options, forced: refusal !== undefined });
      return { next: file, moves: [move], result: move };
    });
  }

  /** Removes an alias (`MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND` when the model has no such alias). */
  async removeAlias(
    model: string,
    alias: string,
    options: { actor?: string; reason?: string } = {},
  ): Promise<AliasMove> {
    await this.readExisting(model);
    return this.mutate(model, (current) => {
      const file = current ?? throwModelNotFound(model, this.dir, []);
      const from = file.aliases[alias];
      if (from === undefined) throw aliasNotFound(file, alias);
      delete file.aliases[alias];
      const move = makeMove({ alias, model, from, to: null }, options, this.actor);
      return { next: file, moves: [move], result: move };
    });
  }

  /** Alias moves of a model, oldest first. */
  async history(model: string): Promise<AliasMove[]> {
    await this.readExisting(model);
    return readHistory(this.historyPath(model));
  }

  /**
   * Calls `listener` for every alias move of `model` from now on, made by this or any other
   * process (also for a model not registered yet). Returns the function that stops watching.
   */
  watch(model: string, listener: (move: AliasMove) => void): () => void {
    assertModelName(model);
    return watchHistory(this.modelDir(model), this.historyPath(model), listener, this.watchOptions);
  }

  private async mutate<T>(
    model: string,
    compute: (current: ModelFile | undefined) => Mutation<T>,
  ): Promise<T> {
    return this.mutex.run(model, () =>
      withLock(join(this.dir, 'locks', `${model}.lock`), `registry model "${model}"`, async (assertHeld) => {
        const current = await readModelFile(this.modelFilePath(model));
        const { next, moves, result } = compute(current);
        if (next === undefined) return result;
        next.revision = (current?.revision ?? 0) + 1;
        next.updatedAt = new Date().toISOString();
        assertHeld();
        await writeJsonAtomic(this.modelFilePath(model), next);
        await appendHistory(this.historyPath(model), moves);
        return result;
      }),
    );
  }

  /** Sets `alias` → `version` in `file`; returns the move to record. */
  private moveAlias(
    file: ModelFile,
    alias: string,
    version: number,
    options: { actor?: string; reason?: string; forced?: boolean },
  ): AliasMove {
    const from = file.aliases[alias] ?? null;
    file.aliases[alias] = version;
    return makeMove({ alias, model: file.name, from, to: version }, options, this.actor);
  }

  private async readExisting(model: string): Promise<ModelFile> {
    assertModelName(model);
    const file = await readModelFile(this.modelFilePath(model));
    return file ?? throwModelNotFound(model, this.dir, await this.modelNames());
  }

  private async modelNames(): Promise<string[]> {
    try {
      return (await readdir(join(this.dir, 'models'), { withFileTypes: true }))
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name);
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) return [];
      throw error;
    }
  }

  private modelDir(model: string): string {
    return join(this.dir, 'models', model);
  }

  private modelFilePath(model: string): string {
    return join(this.modelDir(model), 'model.json');
  }

  private historyPath(model: string): string {
    return join(this.modelDir(model), 'history.jsonl');
  }
}

function makeMove(
  base: Pick<AliasMove, 'alias' | 'model' | 'from' | 'to'>,
  options: { actor?: string; reason?: string; forced?: boolean },
  defaultActorName: string,
): AliasMove {
  const move: AliasMove = { ...base, at: new Date().toISOString(), actor: options.actor ?? defaultActorName };
  if (options.reason !== undefined) move.reason = options.reason;
  if (options.forced) move.forced = true;
  return move;
}

function findVersion(file: ModelFile, version: number): StoredModelVersion {
  const found = file.versions.find((v) => v.version === version);
  if (found) return found;
  const numbers = file.versions.map((v) => v.version).sort((a, b) => a - b);
  throw new MlopsError(
    'MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND',
    `model "${file.name}" has no version ${version}; versions: ${describeVersions(numbers)}`,
    {
      hint: `\`mlops registry list ${file.name}\` shows its versions.`,
    },
  );
}

/** `1..5` when contiguous from 1 (the usual case), else the list. */
function describeVersions(numbers: number[]): string {
  if (numbers.length === 0) return 'none';
  const contiguous = numbers.every((n, i) => n === i + 1);
  return contiguous && numbers.length > 2 ? `1..${numbers.length}` : numbers.join(', ');
}

function aliasNotFound(file: ModelFile, alias: string): MlopsError {
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

function throwModelNotFound(model: string, dir: string, names: string[]): never {
  const known = names.length === 0 ? 'the registry has no models yet' : `models: ${names.sort().join(', ')}`;
  throw new MlopsError(
    'MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND',
    `model "${model}" not found in ${dir}; ${known}`,
    {
      hint: 'Check the name with `mlops registry list`; a model is created by registering its first version (the export stage).',
    },
  );
}

function finiteMetrics(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)),
  );
}

function defaultActor(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`; // no passwd entry for this uid (some containers)
  }
}
