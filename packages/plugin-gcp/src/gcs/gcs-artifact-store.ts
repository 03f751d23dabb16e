/**
 * The artifact store in a bucket: `gs://bucket/prefix/objects/<2 hex>/<62 hex>`, the same layout
 * and the same hashes as the local store, so objects move between the two by name.
 *
 * A local {@link LocalArtifactStore} is its cache: writes land there first and are then uploaded
 * (files before the tree manifest that names them, so a manifest in the bucket implies its files
 * are there); reads are served from the cache and fetched into it on a miss, checked against their
 * sha256. `localPath` therefore works as it does locally — stages that need files on disk (the
 * trainer reading a dataset tree) run unchanged against the bucket.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bucket, Storage } from '@google-cloud/storage';
import {
  type ArtifactRef,
  type ArtifactStore,
  type CheckoutOptions,
  isSha256,
  type LocalArtifactStore,
  MlopsError,
  mapLimit,
  type TreeManifest,
} from '@mlops/core';
import { toMlopsError } from './gcs-errors.js';
import { formatGsUrl, type GsLocation, objectKey, objectNameIn, parseGsUrl } from './gs-url.js';
import { downloadObject, type UploadOutcome, uploadObject } from './object-transfer.js';

/** Options of {@link GcsArtifactStore}. */
export interface GcsArtifactStoreOptions {
  /** `gs://bucket/prefix`. */
  url: string;
  /** The client (see `createStorageClient`). */
  storage: Storage;
  /** Local store used as cache and staging area. */
  cache: LocalArtifactStore;
  /** Objects transferred at once. Default 8. */
  concurrency?: number;
  /** Objects larger than this use resumable uploads. Default 8 MiB. */
  resumableThreshold?: number;
}

/** Counts of a transfer. */
export interface TransferStats {
  /** Objects asked for. */
  objects: number;
  /** Objects moved. */
  transferred: number;
  /** Objects already at the destination. */
  skipped: number;
  /** Bytes moved. */
  bytes: number;
}

/** Hashes in one shard (`objects/ab/`) from which listing it beats one lookup per hash. */
const LIST_SHARD_AT = 8;
/**
 * Hashes asked at once from which every shard with any of them is listed: at most 256 listings
 * (one page per 1000 objects) instead of one lookup per hash.
 */
const LIST_ALL_SHARDS_AT = 256;

/** {@link ArtifactStore} in a GCS bucket; see the module comment. */
export class GcsArtifactStore implements ArtifactStore {
  /** `gs://bucket/prefix`. */
  readonly location: string;
  /** The bucket and prefix. */
  readonly gs: GsLocation;
  /** The local cache. */
  readonly cache: LocalArtifactStore;
  private readonly bucket: Bucket;
  private readonly concurrency: number;
  private readonly resumableThreshold: number;
  /** Hashes known to be in the bucket (objects are immutable, so this never goes stale). */
  private readonly remote = new Set<string>();

  /** A store at `options.url`; nothing is contacted until the first operation. */
  constructor(options: GcsArtifactStoreOptions) {
    this.gs = parseGsUrl(options.url);
    this.location = formatGsUrl(this.gs);
    this.bucket = options.storage.bucket(this.gs.bucket);
    this.cache = options.cache;
    this.concurrency = options.concurrency ?? 8;
    this.resumableThreshold = options.resumableThreshold ?? 8 * 1024 * 1024;
  }

  /** Stores bytes locally, then in the bucket. */
  async putBytes(bytes: Uint8Array, meta?: { name?: string; mediaType?: string }): Promise<ArtifactRef> {
    const ref = await this.cache.putBytes(bytes, meta);
    await this.upload([ref.hash]);
    return ref;
  }

  /** Stores a file locally, then in the bucket. */
  async putFile(path: string, meta?: { name?: string; mediaType?: string }): Promise<ArtifactRef> {
    const ref = await this.cache.putFile(path, meta);
    await this.upload([ref.hash]);
    return ref;
  }

  /** Stores a directory locally, then its files and (last) its manifest in the bucket. */
  async putDir(dir: string, meta?: { name?: string }): Promise<ArtifactRef> {
    return this.uploadTree(await this.cache.putDir(dir, meta));
  }

  /** Stores an assembled tree locally, then its files and (last) its manifest in the bucket. */
  async putTree(entries: { path: string; file: string }[], meta?: { name?: string }): Promise<ArtifactRef> {
    return this.uploadTree(await this.cache.putTree(entries, meta));
  }

  /** Whether the bucket holds the object. */
  async has(hash: string): Promise<boolean> {
    if (!isSha256(hash)) return false;
    return (await this.missing([hash])).length === 0;
  }

  /** A file artifact's bytes, fetched into the cache when needed. */
  async getBytes(ref: ArtifactRef | string): Promise<Buffer> {
    await this.download([typeof ref === 'string' ? ref : ref.hash]);
    return this.cache.getBytes(ref);
  }

  /** A tree's manifest, fetched into the cache when needed. */
  async getTree(ref: ArtifactRef | string): Promise<TreeManifest> {
    await this.download([typeof ref === 'string' ? ref : ref.hash]);
    return this.cache.getTree(ref);
  }

  /** A local path holding the artifact (a tree's files are fetched first). */
  async localPath(ref: ArtifactRef): Promise<string> {
    await this.fetch(ref);
    return this.cache.localPath(ref);
  }

  /** Copies the artifact to `dest`, fetching what the cache lacks. */
  async checkout(ref: ArtifactRef, dest: string, options?: CheckoutOptions): Promise<void> {
    await this.fetch(ref);
    await this.cache.checkout(ref, dest, options);
  }

  /** Every object hash in the bucket. */
  async *list(): AsyncIterable<string> {
    yield* this.listUnder('objects/');
  }

  /** Ensures the artifact (for a tree: its manifest and every file) is in the local cache. */
  async fetch(ref: ArtifactRef | string): Promise<TransferStats> {
    const hash = typeof ref === 'string' ? ref : ref.hash;
    const first = await this.download([hash]);
    if (typeof ref === 'string' || ref.kind !== 'dir') return first;
    const manifest = await this.cache.getTree(hash);
    const rest = await this.download(manifest.entries.map((e) => e.hash));
    return addStats(first, rest);
  }

  /**
   * Of `hashes`, those the bucket lacks: shards holding many of them (or all shards, when many
   * are asked) are listed, the rest looked up one by one.
   */
  async missing(hashes: readonly string[]): Promise<string[]> {
    const unknown = [...new Set(hashes)].filter((h) => !this.remote.has(h));
    const shards = new Map<string, string[]>();
    for (const hash of unknown) {
      const shard = shards.get(hash.slice(0, 2)) ?? [];
      shard.push(hash);
      shards.set(hash.slice(0, 2), shard);
    }
    const listAll = unknown.length >= LIST_ALL_SHARDS_AT;
    const listed: string[] = [];
    const lookups: string[] = [];
    for (const [shard, members] of shards) {
      if (listAll || members.length >= LIST_SHARD_AT) listed.push(shard);
      else lookups.push(...members);
    }
    // One pool per kind of request, so at most `concurrency` requests are in flight at once.
    await mapLimit(listed, this.concurrency, async (shard) => {
      for await (const hash of this.listUnder(`objects/${shard}/`)) this.remote.add(hash);
    });
    await mapLimit(lookups, this.concurrency, async (hash) => {
      const name = this.objectName(hash);
      const [exists] = await this.call(`look up ${formatGsUrl(this.gs, objectKey(hash))}`, () =>
        this.bucket.file(name).exists(),
      );
      if (exists) this.remote.add(hash);
    });
    return unknown.filter((h) => !this.remote.has(h));
  }

  /** Uploads the objects of `hashes` that the bucket lacks, from the cache. */
  async upload(hashes: readonly string[]): Promise<TransferStats> {
    const wanted = [...new Set(hashes)];
    const todo = await this.missing(wanted);
    const stats: TransferStats = {
      objects: wanted.length,
      transferred: 0,
      skipped: wanted.length - todo.length,
      bytes: 0,
    };
    await mapLimit(todo, this.concurrency, async (hash) => {
      const source = this.cache.objectPath(hash);
      if (!(await this.cache.has(hash))) {
        throw new MlopsError(
          'MLOPS_ERR_STORE_OBJECT_MISSING',
          `cannot push ${hash}: the local store ${this.cache.location} lacks it`,
          {
            hint: 'Pull it from the remote first, or rerun the stage that produced it.',
          },
        );
      }
      const url = formatGsUrl(this.gs, objectKey(hash));
      const outcome: UploadOutcome = await this.call(`upload to ${url}`, () =>
        uploadObject(this.bucket, this.objectName(hash), source, {
          resumableThreshold: this.resumableThreshold,
          tmpPrefix: objectNameIn(this.gs, 'tmp'),
        }),
      );
      this.remote.add(hash);
      if (outcome === 'uploaded') {
        stats.transferred++;
        stats.bytes += (await stat(source)).size;
      } else stats.skipped++;
    });
    return stats;
  }

  /** Downloads the objects of `hashes` that the cache lacks, checking each one's sha256. */
  async download(hashes: readonly string[]): Promise<TransferStats> {
    const wanted = [...new Set(hashes)];
    const present = await mapLimit(wanted, this.concurrency * 4, (h) => this.cache.has(h));
    const todo = wanted.filter((_, i) => !present[i]);
    const stats: TransferStats = {
      objects: wanted.length,
      transferred: 0,
      skipped: wanted.length - todo.length,
      bytes: 0,
    };
    if (todo.length === 0) return stats;
    const tmpDir = join(this.cache.location, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    await mapLimit(todo, this.concurrency, async (hash) => {
      const url = formatGsUrl(this.gs, objectKey(hash));
      const tmp = join(tmpDir, `gcs-${hash.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
      try {
        await this.call(`download ${url}`, () => downloadObject(this.bucket, this.objectName(hash), tmp));
        const stored = await this.cache.putFile(tmp);
        if (stored.hash !== hash) {
          throw new MlopsError(
            'MLOPS_ERR_STORE_CORRUPT',
            `${url} does not hash to its name (got ${stored.hash})`,
            {
              hint: 'The object in the bucket is damaged: delete it and push it again from a machine that has it.',
            },
          );
        }
        this.remote.add(hash);
        stats.transferred++;
        stats.bytes += stored.size;
      } finally {
        await rm(tmp, { force: true });
      }
    });
    return stats;
  }

  private async uploadTree(ref: ArtifactRef): Promise<ArtifactRef> {
    const manifest = await this.cache.getTree(ref);
    await this.upload(manifest.entries.map((e) => e.hash));
    await this.upload([ref.hash]);
    return ref;
  }

  private objectName(hash: string): string {
    return objectNameIn(this.gs, objectKey(hash));
  }

  private async *listUnder(path: string): AsyncIterable<string> {
    const base = objectNameIn(this.gs, 'objects/');
    let pageToken: string | undefined;
    do {
      const [files, next] = await this.call(`list ${formatGsUrl(this.gs, path)}`, () =>
        this.bucket.getFiles({
          prefix: objectNameIn(this.gs, path),
          autoPaginate: false,
          maxResults: 1000,
          ...(pageToken ? { pageToken } : {}),
        }),
      );
      for (const file of files) {
        const hash = file.name.slice(base.length).replace('/', '');
        if (isSha256(hash)) yield hash;
      }
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toMlopsError(what, error);
    }
  }
}

function addStats(a: TransferStats, b: TransferStats): TransferStats {
  return {
    objects: a.objects + b.objects,
    transferred: a.transferred + b.transferred,
    skipped: a.skipped + b.skipped,
    bytes: a.bytes + b.bytes,
  };
}
