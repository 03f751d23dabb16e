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
  defaultRegistryActor,
  MlopsError,
  type ModelFile,
  type ModelFileMutation,
  type ModelRegistry,
  type ModelSummary,
  type ModelVersion,
  modelNotFoundError,
  type PromoteOptions,
  promoteInModelFile,
  type RegisterModelInput,
  registerInModelFile,
  removeAliasInModelFile,
  selectInModelFile,
  toModelSummary,
  toModelVersion,
  type VersionSelector,
  validateRegisterInput,
} from '@mlops/core';
import { isNotFound, isPreconditionFailed, toMlopsError } from '../gcs/gcs-errors.js';
import { formatGsUrl, type GsLocation, objectNameIn, parseGsUrl } from '../gcs/gs-url.js';
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
    this.actor = options.actor ?? defaultRegistryActor();
    this.maxAttempts = options.maxAttempts ?? 25;
    this.watchIntervalMs = options.watchIntervalMs ?? 5000;
    this.beforeRegister = options.beforeRegister;
  }

  /** Registers the next version (highest + 1) and points `input.aliases` at it (no gate). */
  async register(input: RegisterModelInput): Promise<ModelVersion> {
    const aliases = validateRegisterInput(input);
    await this.beforeRegister?.(input);
    return this.mutate(input.model, (current) => registerInModelFile(current, input, aliases, this.actor));
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
    return selectInModelFile((await this.readExisting(model)).model, selector);
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
    return this.mutate(model, (current) =>
      promoteInModelFile(current ?? this.notFound(model), version, alias, options, this.actor),
    );
  }

  /** Removes an alias. */
  async removeAlias(
    model: string,
    alias: string,
    options: { actor?: string; reason?: string } = {},
  ): Promise<AliasMove> {
    await this.readExisting(model);
    return this.mutate(model, (current) =>
      removeAliasInModelFile(current ?? this.notFound(model), alias, options, this.actor),
    );
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
    compute: (current: ModelFile | undefined) => ModelFileMutation<T>,
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
    return doc ?? this.notFound(model);
  }

  private notFound(model: string): never {
    throw modelNotFoundError(model, this.location);
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
