/**
 * Stage caching: a stage whose inputs are unchanged reuses its previous output. The key hashes
 * everything that can change the output (the stage's config slice, upstream artifact hashes,
 * plugin versions, engine); the record, `cache/<stage>/<key>.json` under the store root, holds the
 * output and the run that produced it.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MlopsError } from '../errors.js';
import type { ArtifactRef, ArtifactStore } from '../services/artifact-store.js';
import { hashJson } from '../util/hash.js';
import { mapLimit } from '../util/map-limit.js';
import { readJson, writeJsonAtomic } from './atomic-write.js';

/** Everything a stage's cache key depends on. */
export interface StageKeyParts {
  /** Stage name. */
  stage: string;
  /** The stage's slice of the resolved config. */
  config: unknown;
  /** Upstream inputs, e.g. `{ data: '<dataset hash>' }` or whole upstream outputs. */
  upstream: Record<string, unknown>;
  /** Plugin name → version of the plugins that tap the stage. */
  plugins: Record<string, string>;
  /** Engine or backend identity when it changes results (e.g. `tfjs-node@4.22`). */
  engine?: string;
}

/** Version of the key's structure: bump it to invalidate every cache entry when its meaning changes. */
const STAGE_KEY_FORMAT = 'mlops-stage-key/1';

/**
 * The cache key of a stage execution: sha256 of a stable JSON structure, so key order in config
 * objects does not matter and equal inputs always give the same key.
 */
export function computeStageKey(parts: StageKeyParts): string {
  return hashJson({
    format: STAGE_KEY_FORMAT,
    stage: parts.stage,
    config: parts.config ?? null,
    upstream: parts.upstream,
    plugins: parts.plugins,
    engine: parts.engine ?? null,
  });
}

/** One cached stage execution. */
export interface StageCacheEntry<TOutput = unknown> {
  /** The cache key ({@link computeStageKey}). */
  key: string;
  /** Stage name. */
  stage: string;
  /** The stage output (JSON; artifact references point into the store). */
  output: TOutput;
  /** Run that produced the output. */
  runId: string;
  /** ISO time the entry was written. */
  createdAt: string;
}

/** Options of {@link StageCache}. */
export interface StageCacheOptions {
  /**
   * Whether a hit also checks every file of tree artifacts, not only their manifests. Default
   * true: right for the local store (one `stat` per file), too slow for a remote store, where a
   * caller may turn it off.
   */
  checkTreeEntries?: boolean;
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Stage cache records under `<root>/cache/`, checked against an {@link ArtifactStore}. */
export class StageCache {
  private readonly dir: string;
  private readonly checkTreeEntries: boolean;

  /** Cache of the store rooted at `root` (e.g. `.mlops`), whose artifacts live in `store`. */
  constructor(
    root: string,
    private readonly store: ArtifactStore,
    options: StageCacheOptions = {},
  ) {
    this.dir = join(root, 'cache');
    this.checkTreeEntries = options.checkTreeEntries ?? true;
  }

  /**
   * The cached entry, or undefined on a miss. An entry is also a miss when any artifact reference
   * in its output is no longer in the store (a pruned or partly pulled store must never produce a
   * hit whose artifacts cannot be read), or when the record file is damaged: a cache is
   * disposable, and recomputing is always correct.
   */
  async get<TOutput = unknown>(stage: string, key: string): Promise<StageCacheEntry<TOutput> | undefined> {
    const path = this.entryPath(stage, key);
    let entry: StageCacheEntry<TOutput>;
    try {
      entry = await readJson<StageCacheEntry<TOutput>>(path);
    } catch {
      return undefined;
    }
    if (entry?.key !== key || entry.stage !== stage) return undefined;
    return (await this.artifactsPresent(entry.output)) ? entry : undefined;
  }

  /** Records a stage output under its key (atomically; a later put for the same key replaces it). */
  async put<TOutput>(
    stage: string,
    key: string,
    output: TOutput,
    runId: string,
  ): Promise<StageCacheEntry<TOutput>> {
    const entry: StageCacheEntry<TOutput> = {
      key,
      stage,
      output,
      runId,
      createdAt: new Date().toISOString(),
    };
    await writeJsonAtomic(this.entryPath(stage, key), entry);
    return entry;
  }

  /** Removes one entry, or every entry of `stage` when `key` is omitted. */
  async invalidate(stage: string, key?: string): Promise<void> {
    if (key !== undefined) await rm(this.entryPath(stage, key), { force: true });
    else await rm(join(this.dir, checkSegment(stage, 'stage name')), { recursive: true, force: true });
  }

  /** Keys cached for `stage`. */
  async keys(stage: string): Promise<string[]> {
    const names = await readdir(join(this.dir, checkSegment(stage, 'stage name'))).catch(() => []);
    return names
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .map((n) => n.slice(0, -'.json'.length));
  }

  private entryPath(stage: string, key: string): string {
    return join(this.dir, checkSegment(stage, 'stage name'), `${checkSegment(key, 'cache key')}.json`);
  }

  private async artifactsPresent(output: unknown): Promise<boolean> {
    for (const ref of findArtifactRefs(output)) {
      if (!(await this.store.has(ref.hash))) return false;
      if (ref.kind === 'dir' && this.checkTreeEntries) {
        const manifest = await this.store.getTree(ref).catch(() => undefined);
        if (!manifest) return false;
        const present = await mapLimit(manifest.entries, 32, (e) => this.store.has(e.hash));
        if (present.includes(false)) return false;
      }
    }
    return true;
  }
}

/**
 * Every artifact reference inside a JSON value: objects with a string `hash` and a `kind` of
 * `file` or `dir`, found at any depth.
 */
export function findArtifactRefs(value: unknown): ArtifactRef[] {
  const refs: ArtifactRef[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.hash === 'string' && (o.kind === 'file' || o.kind === 'dir'))
        refs.push(o as unknown as ArtifactRef);
      else Object.values(o).forEach(visit);
    }
  };
  visit(value);
  return refs;
}

/** Stage names and keys become path segments; refuse anything that could leave the cache dir. */
function checkSegment(value: string, what: string): string {
  if (!SAFE_SEGMENT.test(value)) {
    throw new MlopsError('MLOPS_ERR_USAGE', `invalid ${what} ${JSON.stringify(value)} for the stage cache`, {
      hint: 'Use letters, digits, ".", "_" and "-", starting with a letter or digit.',
    });
  }
  return value;
}
