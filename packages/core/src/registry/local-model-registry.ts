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
import { dirname, join, resolve } from 'node:path';
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
import { ensureStoreRoot } from '../store/store-root.js';
import { appendHistory, readHistory } from './history-file.js';
import { type ModelFile, readModelFile, toModelSummary, toModelVersion } from './model-file.js';
import {
  defaultRegistryActor,
  type ModelFileMutation,
  modelNotFoundError,
  promoteInModelFile,
  registerInModelFile,
  removeAliasInModelFile,
  selectInModelFile,
  validateRegisterInput,
} from './model-file-ops.js';
import { withLock } from './model-lock.js';
import { assertAliasName, assertModelName } from './names.js';
import { type WatchHistoryOptions, watchHistory } from './watch-history.js';

/** Options of {@link LocalModelRegistry}. */
export interface LocalModelRegistryOptions {
  /** Recorded as the actor of moves that name none. Default `user@host`. */
  actor?: string;
  /** Tuning of {@link LocalModelRegistry.watch}. */
  watch?: WatchHistoryOptions;
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
    this.actor = options.actor ?? defaultRegistryActor();
    this.watchOptions = options.watch ?? {};
  }

  /**
   * Registers the next version (highest existing + 1) and points `input.aliases` at it (no gate:
   * a new version is not a promotion). Non-finite metrics (NaN, Infinity) cannot be stored in
   * JSON and are left out; a gate on such a metric then refuses the version.
   */
  async register(input: RegisterModelInput): Promise<ModelVersion> {
    const aliases = validateRegisterInput(input);
    return this.mutate(input.model, (current) => registerInModelFile(current, input, aliases, this.actor));
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
    return selectInModelFile(await this.readExisting(model), selector);
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
    return this.mutate(model, (current) =>
      promoteInModelFile(current ?? this.notFound(model, []), version, alias, options, this.actor),
    );
  }

  /** Removes an alias (`MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND` when the model has no such alias). */
  async removeAlias(
    model: string,
    alias: string,
    options: { actor?: string; reason?: string } = {},
  ): Promise<AliasMove> {
    await this.readExisting(model);
    return this.mutate(model, (current) =>
      removeAliasInModelFile(current ?? this.notFound(model, []), alias, options, this.actor),
    );
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
    compute: (current: ModelFile | undefined) => ModelFileMutation<T>,
  ): Promise<T> {
    await ensureStoreRoot(dirname(this.dir));
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

  private async readExisting(model: string): Promise<ModelFile> {
    assertModelName(model);
    const file = await readModelFile(this.modelFilePath(model));
    return file ?? this.notFound(model, await this.modelNames());
  }

  private notFound(model: string, names: string[]): never {
    throw modelNotFoundError(model, this.dir, names);
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
