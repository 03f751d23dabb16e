import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrnoException, writeFileAtomic } from '../store/atomic-write.js';
import { sha256 } from '../util/hash.js';
import { mapLimit } from '../util/map-limit.js';

/** A file's content hash and the stat values it was computed for. */
export interface FileDigest {
  /** Absolute path. */
  path: string;
  /** sha256 hex of the content. */
  hash: string;
  /** Size in bytes. */
  size: number;
  /** Modification time (ms) when hashed. */
  mtimeMs: number;
}

/** File name of the cache under a store's cache directory. */
const CACHE_FILE = 'file-hashes.json';

interface CacheFileContent {
  format: 'mlops-file-hashes/1';
  /** Absolute path → [size, mtimeMs, hash]. */
  files: Record<string, [number, number, string]>;
}

/**
 * Content hashes of files, remembered by path + size + mtime in `<cacheDir>/file-hashes.json`, so
 * rescanning a 70k-image dataset reads only the files that changed (the trade-off git's index
 * makes too: a rewrite within the same millisecond that keeps the size goes unnoticed).
 */
export class FileHashCache {
  private dirty = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly entries: Map<string, [number, number, string]>,
  ) {}

  /** Opens the cache in `cacheDir`; with no directory the cache lives in memory only. */
  static async open(cacheDir: string | undefined): Promise<FileHashCache> {
    const file = cacheDir === undefined ? undefined : join(cacheDir, CACHE_FILE);
    const entries = new Map<string, [number, number, string]>();
    if (file !== undefined) {
      try {
        const content = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheFileContent>;
        if (content.format === 'mlops-file-hashes/1' && content.files && typeof content.files === 'object') {
          for (const [path, value] of Object.entries(content.files)) entries.set(path, value);
        }
      } catch (error) {
        // A missing or damaged cache only costs a rehash.
        if (!isErrnoException(error, 'ENOENT') && !(error instanceof SyntaxError)) throw error;
      }
    }
    return new FileHashCache(file, entries);
  }

  /** Hashes one file, reading it only when its size or mtime changed since it was last hashed. */
  async digest(path: string): Promise<FileDigest> {
    const info = await stat(path);
    const known = this.entries.get(path);
    if (known && known[0] === info.size && known[1] === info.mtimeMs) {
      return { path, hash: known[2], size: info.size, mtimeMs: info.mtimeMs };
    }
    const hash = sha256(await readFile(path));
    this.entries.set(path, [info.size, info.mtimeMs, hash]);
    this.dirty = true;
    return { path, hash, size: info.size, mtimeMs: info.mtimeMs };
  }

  /** Hashes many files with bounded concurrency; `onFile` is called after each (for progress). */
  async digestAll(paths: readonly string[], onFile?: () => void): Promise<FileDigest[]> {
    return mapLimit(paths, 32, async (path) => {
      const digest = await this.digest(path);
      onFile?.();
      return digest;
    });
  }

  /** Writes the cache back (atomically) if anything was hashed. */
  async save(): Promise<void> {
    if (this.file === undefined || !this.dirty) return;
    const content: CacheFileContent = {
      format: 'mlops-file-hashes/1',
      files: Object.fromEntries(this.entries),
    };
    await writeFileAtomic(this.file, JSON.stringify(content));
    this.dirty = false;
  }
}
