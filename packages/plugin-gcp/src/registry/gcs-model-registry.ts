/**
 * A {@link ModelRegistry} in a bucket, for teams and for jobs that run elsewhere (Vertex AI, CI,
 * Cloud Run). Each model is one object (see `registry-document.ts`); every mutation is
 * read → compute → write with `ifGenerationMatch: <generation read>`, retried from the read when
 * another writer got there first (HTTP 412). Two writers can therefore never lose each other's
 * update, with no lock service and nothing to clean up after a crash. Semantics (version numbers,
 * aliases, the promotion gate, no-op promotions, history) are those of core's LocalModelRegistry.
 */
import { randomBytes } from 'node:crypto';
import type { Bucket, Storage } from '@google-cloud/storage';
import {
  type AliasMove,
  assertAliasName,
  assertModelName,
  checkPromotionGate,
  emptyModelFile,
  isSha256,
  latestVersion,
  MlopsError,
  type ModelFile,
  type ModelRegistry,
  type ModelSummary,
  type ModelVersion,
  type PromoteOptions,
  type RegisterModelInput,
  type StoredModelVersion,
  toModelSummary,
  toModelVersion,
  type VersionSelector,
} from '@mlops/core';
import { isNotFound, isPreconditionFailed, toMlopsError } from '../gcs/gcs-errors.js';
import { formatGsUrl, type GsLocation, objectNameIn, parseGsUrl } from '../gcs/gs-url.js';
import { aliasNotFound, defaultActor, findVersion, makeMove, throwModelNotFound } from './alias-moves.js';
import {
  parseRegistryDocument,
  REGISTRY_DOCUMENT_FORMAT,
  type RegistryDocument,
} from './registry-document.js';

/** Options of {@link GcsModelRegistry}. */
export interface GcsModelRegistryOptions {
  /** `gs://bucket/prefix`; the registry lives under `<prefix>/registry/`. */
  url: string;
  /** The client. */
  storage: Storage;
  /** Recorded as the actor of moves that name none. Default `user@host`. */
  actor?: string;
  /** Conditional-write attempts before giving up with `MLOPS_ERR_REGISTRY_LOCKED`. Default 25. */
  maxAttempts?: number;
  /** How often `watch` polls the model's generation, ms. Default 5000. */
  watchIntervalMs?: number;
  /**
   * Called before a version is registered, e.g. to upload its artifacts to the bucket so every
   * reader of this registry can fetch them.
   */
  beforeRegister?: (input: RegisterModelInput) => Promise<void>;
}

/** A read document and the generation it was read at (0: absent). */
interface Snapshot {
  doc: RegistryDocument | undefined;
  generation: string;
}

/** What one mutation computed. */
interface Mutation<T> {
  next: ModelFile | undefined;
  moves: AliasMove[];
  result: T;
}

/** {@link ModelRegistry} in a GCS bucket; see the module comment. */
export class GcsModelRegistry implements ModelRegistry {
  /** `gs://bucket/prefix/registry`. */
  readonly location: string;
  private readonly gs: GsLocation;
  private readonly bucket: Bucket;
  private readonly actor: string;
  private readonly maxAttempts: number;
  private readonly watchIntervalMs: number;
  private readonly beforeRegister: GcsModelRegistryOptions['beforeRegister'];

  /** The registry under `options.url`; nothing is contacted until the first call. */
  constructor(options: GcsModelRegistryOptions) {
    this.gs = parseGsUrl(options.url);
    this.location = formatGsUrl(this.gs, 'registry');
    this.bucket = options.storage.bucket(this.gs.bucket);
    this.actor = options.actor ?? defaultActor();
    this.maxAttempts = options.maxAttempts ?? 25;
    this.watchIntervalMs = options.watchIntervalMs ?? 5000;
    this.beforeRegister = options.beforeRegister;
  }

  /** Registers the next version (highest + 1) and points `input.aliases` at it (no gate). */
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
    await this.beforeRegister?.(input);
    return this.mutate(input.model, (current) => {
      const file = current ?? emptyModelFile(input.model);
      const stored: StoredModelVersion = {
        model: input.model,
        version: latestVersion(file) + 1,
        artifacts: input.artifacts,
        metrics: Object.fromEntries(
          Object.entries(input.metrics ?? {}).filter(([, v]) => Number.isFinite(v)),
        ),
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
    const base = objectNameIn(this.gs, 'registry/models/');
    const [files] = await this.call(`list ${this.location}`, () => this.bucket.getFiles({ prefix: base }));
    const names = files
      .map((f) => f.name.slice(base.length))
      .filter((rest) => rest.endsWith('/model.json') && rest.split('/').length === 2)
      .map((rest) => rest.slice(0, -'/model.json'.length))
      .sort();
    const models: ModelSummary[] = [];
    for (const name of names) {
      const { doc } = await this.read(name);
      if (doc) models.push(toModelSummary(doc.model));
    }
    return models;
  }

  /** All versions of a model, oldest first. */
  async listVersions(model: string): Promise<ModelVersion[]> {
    const file = (await this.readExisting(model)).model;
    return [...file.versions].sort((a, b) => a.version - b.version).map((v) => toModelVersion(file, v));
  }

  /** The version an alias, number or `latest` selects. */
  async resolve(model: string, selector: VersionSelector): Promise<ModelVersion> {
    const file = (await this.readExisting(model)).model;
    let number: number;
    if (selector === 'latest') number = latestVersion(file);
    else if ('alias' in selector) {
      const aliased = file.aliases[selector.alias];
      if (aliased === undefined) throw aliasNotFound(file, selector.alias);
      number = aliased;
    } else number = selector.version;
    return toModelVersion(file, findVersion(file, number));
  }

  /** Points `alias` at `version`, refusing a gated promotion of a worse version unless `force`. */
  async promote(
    model: string,
    version: number,
    alias: string,
    options: PromoteOptions = {},
  ): Promise<AliasMove> {
    assertAliasName(alias);
    await this.readExisting(model);
    return this.mutate(model, (current) => {
      const file = current ?? throwModelNotFound(model, this.location);
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

  /** Removes an alias. */
  async removeAlias(
    model: string,
    alias: string,
    options: { actor?: string; reason?: string } = {},
  ): Promise<AliasMove> {
    await this.readExisting(model);
    return this.mutate(model, (current) => {
      const file = current ?? throwModelNotFound(model, this.location);
      const from = file.aliases[alias];
      if (from === undefined) throw aliasNotFound(file, alias);
      delete file.aliases[alias];
      const move = makeMove({ alias, model, from, to: null }, options, this.actor);
      return { next: file, moves: [move], result: move };
    });
  }

  /** Alias moves of a model, oldest first. */
  async history(model: string): Promise<AliasMove[]> {
    return (await this.readExisting(model)).history;
  }

  /**
   * Polls the model's object every `watchIntervalMs` and reports alias moves made since the watch
   * began, by any process. Returns the function that stops watching.
   */
  watch(model: string, listener: (move: AliasMove) => void): () => void {
    assertModelName(model);
    let stopped = false;
    let seen: number | undefined;
    let generation = '';
    const poll = async (): Promise<void> => {
      try {
        const snapshot = await this.read(model);
        if (stopped || snapshot.generation === generation) return;
        generation = snapshot.generation;
        const history = snapshot.doc?.history ?? [];
        if (seen !== undefined) for (const move of history.slice(seen)) listener(move);
        seen = history.length;
      } catch {
        // A failed poll (network) is retried at the next tick; the watch must outlive outages.
      }
    };
    let running = poll();
    const timer = setInterval(() => {
      running = running.then(poll);
    }, this.watchIntervalMs);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  /** Reads, computes and conditionally writes until the write wins; see the module comment. */
  private async mutate<T>(
    model: string,
    compute: (current: ModelFile | undefined) => Mutation<T>,
  ): Promise<T> {
    const writeId = randomBytes(8).toString('hex');
    const url = this.urlOf(model);
    let pending: T | undefined;
    let wrote = false;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const snapshot = await this.read(model);
      if (wrote && snapshot.doc?.writeId === writeId) return pending as T; // our write landed after all
      const { next, moves, result } = compute(snapshot.doc ? structuredClone(snapshot.doc.model) : undefined);
      if (next === undefined) return result;
      next.revision = (snapshot.doc?.model.revision ?? 0) + 1;
      next.updatedAt = new Date().toISOString();
      const doc: RegistryDocument = {
        format: REGISTRY_DOCUMENT_FORMAT,
        model: next,
        history: [...(snapshot.doc?.history ?? []), ...moves],
        writeId,
      };
      pending = result;
      wrote = true;
      try {
        await this.bucket.file(this.objectName(model)).save(JSON.stringify(doc, null, 2), {
          resumable: false,
          metadata: { contentType: 'application/json', cacheControl: 'no-store' },
          preconditionOpts: { ifGenerationMatch: snapshot.generation },
        });
        return result;
      } catch (error) {
        if (!isPreconditionFailed(error)) throw toMlopsError(`write ${url}`, error);
        // Another writer moved first: back off a little (jittered, growing) and recompute.
        await sleep(Math.min(1000, 10 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
      }
    }
    throw new MlopsError(
      'MLOPS_ERR_REGISTRY_LOCKED',
      `${url} kept changing under ${this.maxAttempts} attempts to update it`,
      {
        hint: 'Many writers are updating this model at once; try again in a moment.',
      },
    );
  }

  /** The document and its generation; `generation` is '0' when the model does not exist. */
  private async read(model: string): Promise<Snapshot> {
    const url = this.urlOf(model);
    const file = this.bucket.file(this.objectName(model));
    try {
      const [metadata] = await file.getMetadata();
      const generation = String(metadata.generation);
      // Download exactly the generation whose number we hold, so the precondition matches the bytes.
      const [bytes] = await this.bucket.file(file.name, { generation }).download();
      return { doc: parseRegistryDocument(bytes, url), generation };
    } catch (error) {
      if (isNotFound(error)) {
        // Absent, or replaced between the two requests: the caller retries either way.
        return { doc: undefined, generation: '0' };
      }
      throw toMlopsError(`read ${url}`, error);
    }
  }

  private async readExisting(model: string): Promise<RegistryDocument> {
    assertModelName(model);
    const { doc } = await this.read(model);
    return doc ?? throwModelNotFound(model, this.location);
  }

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

  private objectName(model: string): string {
    return objectNameIn(this.gs, `registry/models/${model}/model.json`);
  }

  private urlOf(model: string): string {
    return formatGsUrl(this.gs, `registry/models/${model}/model.json`);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toMlopsError(what, error);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
