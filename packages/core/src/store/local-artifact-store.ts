/**
 * The embedded artifact store: content-addressed objects on the local disk, by default in
 * `.mlops/`. Layout under the store root:
 *
 * - `objects/<2 hex>/<62 hex>`: file contents by sha256, read-only, written atomically. Tree
 *   manifests are objects too (a `dir` reference's hash is its manifest's hash).
 * - `trees/<hash>/`: read-only materialized copies of directory artifacts, made on demand by
 *   {@link LocalArtifactStore.localPath} (hard links to the objects where the filesystem allows).
 * - `tmp/`: in-flight writes, renamed into `objects/` once complete.
 *
 * Every write ends in an atomic rename and content decides the name, so two processes storing the
 * same object at once both succeed and the object is never seen half-written.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MlopsError } from '../errors.js';
import type { ArtifactRef, ArtifactStore, TreeEntry, TreeManifest } from '../services/artifact-store.js';
import { sha256, sha256File } from '../util/hash.js';
import { mapLimit } from '../util/map-limit.js';
import { fsyncDir, isErrnoException, tempPathFor, writeDirAtomic, writeFileAtomic } from './atomic-write.js';
import { assertSha256, isSha256, objectMissingError, objectPath } from './object-layout.js';
import { ensureStoreRoot } from './store-root.js';
import {
  assertTreePaths,
  buildTreeManifest,
  parseTreeManifest,
  serializeTreeManifest,
  treeSize,
} from './tree-manifest.js';
import { walkFiles } from './walk-files.js';

/** Options of {@link LocalArtifactStore}. */
export interface LocalArtifactStoreOptions {
  /** Files read, written or linked at once by tree operations. Default 16. */
  concurrency?: number;
}

/** Options of {@link LocalArtifactStore.checkout}. */
export interface CheckoutOptions {
  /**
   * For a tree: make `dest` exactly the tree, atomically replacing the whole directory (files not
   * in the tree are deleted). Default false: tree files are written into `dest`, overwriting files
   * of the same path and leaving other files alone.
   */
  clean?: boolean;
}

/** What {@link LocalArtifactStore.verify} found. */
export interface VerifyResult {
  /** True when every object checked is present and hashes to its name. */
  ok: boolean;
  /** Number of objects checked. */
  checked: number;
  /** Hashes of objects that are absent. */
  missing: string[];
  /** Hashes of objects whose content does not hash to their name. */
  corrupt: string[];
}

/** Mode of stored objects: content-addressed files must never change in place. */
const OBJECT_MODE = 0o444;
/** Mode of checked-out copies: those belong to the user, who may edit them. */
const CHECKOUT_MODE = 0o644;

/** Files up to this size are hashed in memory before anything is written. */
const IN_MEMORY_LIMIT = 8 * 1024 * 1024;

/** {@link ArtifactStore} on the local filesystem; see the module comment for the layout. */
export class LocalArtifactStore implements ArtifactStore {
  /** Absolute path of the store root. */
  readonly location: string;
  private readonly concurrency: number;

  /** Opens (lazily creating) the store rooted at `root`, e.g. `.mlops`. */
  constructor(root: string, options: LocalArtifactStoreOptions = {}) {
    this.location = resolve(root);
    this.concurrency = options.concurrency ?? 16;
  }

  /** The path an object with this hash has (whether or not it is present). */
  objectPath(hash: string): string {
    return objectPath(this.location, hash);
  }

  /** Stores bytes as one object; a no-op write when the object is already present. */
  async putBytes(bytes: Uint8Array, meta: { name?: string; mediaType?: string } = {}): Promise<ArtifactRef> {
    const hash = sha256(bytes);
    const path = this.objectPath(hash);
    await ensureStoreRoot(this.location);
    if (!(await exists(path))) {
      try {
        await writeFileAtomic(path, bytes, { mode: OBJECT_MODE });
      } catch (error) {
        // Another writer stored the same object first and this platform (Windows) refuses to
        // rename over it: the object is there, which is all that matters.
        if (!(await exists(path))) throw error;
      }
    }
    return makeRef(hash, 'file', bytes.byteLength, meta);
  }

  /** Stores a file's content, streaming it (any size) to a temp object while hashing it. */
  async putFile(path: string, meta: { name?: string; mediaType?: string } = {}): Promise<ArtifactRef> {
    await ensureStoreRoot(this.location);
    const { hash, size } = await this.storeFileContent(path);
    return makeRef(hash, 'file', size, { name: basename(path), ...meta });
  }

  /** Stores every file under `dir` (dotfiles excluded, see `walk-files.ts`) and the tree manifest. */
  async putDir(dir: string, meta: { name?: string } = {}): Promise<ArtifactRef> {
    const info = await stat(dir);
    if (!info.isDirectory()) {
      throw new MlopsError('MLOPS_ERR_USAGE', `${dir} is not a directory`, {
        file: dir,
        hint: 'Use putFile for a single file.',
      });
    }
    return this.putTree(await walkFiles(dir), { name: basename(resolve(dir)), ...meta });
  }

  /** Stores a tree whose files come from anywhere on disk: `entries` maps tree paths to files. */
  async putTree(
    entries: { path: string; file: string }[],
    meta: { name?: string } = {},
  ): Promise<ArtifactRef> {
    // Check paths before copying anything, so a bad entry fails fast instead of after the copy.
    assertTreePaths(entries.map((e) => e.path));
    await ensureStoreRoot(this.location);
    const treeEntries = await mapLimit(entries, this.concurrency, async (entry): Promise<TreeEntry> => {
      const { hash, size } = await this.storeFileContent(entry.file);
      return { path: entry.path, hash, size };
    });
    const manifest = buildTreeManifest(treeEntries);
    const stored = await this.putBytes(Buffer.from(serializeTreeManifest(manifest), 'utf8'));
    return makeRef(stored.hash, 'dir', treeSize(manifest), meta);
  }

  /** Whether the object is present; false for anything that is not a sha256 hash. */
  async has(hash: string): Promise<boolean> {
    return isSha256(hash) && exists(this.objectPath(hash));
  }

  /** A file artifact's bytes. Throws `MLOPS_ERR_STORE_OBJECT_MISSING` when absent. */
  async getBytes(ref: ArtifactRef | string): Promise<Buffer> {
    if (typeof ref !== 'string' && ref.kind === 'dir') {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `artifact ${ref.hash} is a directory; it has no bytes of its own`,
        {
          hint: 'Use getTree() for its file list or localPath() for a directory on disk.',
        },
      );
    }
    return this.readObject(typeof ref === 'string' ? ref : ref.hash);
  }

  /**
   * A directory artifact's manifest. The manifest's hash is checked on every read (manifests are
   * small, and a damaged one would silently misplace every file of the tree).
   */
  async getTree(ref: ArtifactRef | string): Promise<TreeManifest> {
    const hash = typeof ref === 'string' ? ref : ref.hash;
    const bytes = await this.readObject(hash);
    if (sha256(bytes) !== hash) throw corruptError(hash, this.objectPath(hash));
    return parseTreeManifest(bytes, this.objectPath(hash));
  }

  /**
   * The object file for a file artifact; for a tree, `trees/<hash>/`, materialized on first use
   * (atomically: concurrent callers all get the one complete copy) and reused afterwards.
   */
  async localPath(ref: ArtifactRef): Promise<string> {
    if (ref.kind === 'file') {
      const path = this.objectPath(ref.hash);
      if (!(await exists(path))) throw objectMissingError(ref.hash, this.location);
      return path;
    }
    assertSha256(ref.hash); // it becomes a path segment
    const treeDir = join(this.location, 'trees', ref.hash);
    if (await exists(treeDir)) return treeDir;
    const manifest = await this.getTree(ref);
    const tmp = tempPathFor(treeDir);
    await mkdir(tmp, { recursive: true });
    try {
      await this.writeTreeFiles(manifest, tmp, (from, to) => this.linkOrCopy(from, to));
      await rename(tmp, treeDir);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      // Another process materialized the same tree first; its copy is as good as ours.
      if (isErrnoException(error, 'ENOTEMPTY', 'EEXIST', 'EPERM') && (await exists(treeDir))) return treeDir;
      throw error;
    }
    await fsyncDir(dirname(treeDir));
    return treeDir;
  }

  /**
   * Copies the artifact to `dest`: a file path for a file artifact, a directory for a tree. The
   * copies are ordinary writable files. See {@link CheckoutOptions.clean} for what happens to
   * files already in a tree's `dest`.
   */
  async checkout(ref: ArtifactRef, dest: string, options: CheckoutOptions = {}): Promise<void> {
    if (ref.kind === 'file') {
      await this.copyOut(ref.hash, dest);
      return;
    }
    const manifest = await this.getTree(ref);
    if (options.clean || !(await exists(dest))) {
      await writeDirAtomic(dest, (tmp) =>
        this.writeTreeFiles(manifest, tmp, (from, to) => this.copyObject(from, to)),
      );
    } else {
      await this.writeTreeFiles(manifest, dest, (hash, to) => this.copyOut(hash, to));
    }
  }

  /** Every object hash present, in no particular order. */
  async *list(): AsyncIterable<string> {
    const objects = join(this.location, 'objects');
    for (const prefix of await readdirIfExists(objects)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const rest of await readdirIfExists(join(objects, prefix))) {
        if (isSha256(prefix + rest)) yield prefix + rest;
      }
    }
  }

  /**
   * Re-hashes stored content: one object for a hash or file reference; the manifest and every
   * file for a tree reference.
   */
  async verify(ref: ArtifactRef | string): Promise<VerifyResult> {
    const result: VerifyResult = { ok: true, checked: 0, missing: [], corrupt: [] };
    const check = async (hash: string): Promise<void> => {
      result.checked++;
      const actual = await sha256File(this.objectPath(hash)).catch((error: unknown) => {
        if (isErrnoException(error, 'ENOENT')) return undefined;
        throw error;
      });
      if (actual === undefined) result.missing.push(hash);
      else if (actual !== hash) result.corrupt.push(hash);
    };
    const hash = typeof ref === 'string' ? ref : ref.hash;
    await check(hash);
    if (
      typeof ref !== 'string' &&
      ref.kind === 'dir' &&
      result.missing.length + result.corrupt.length === 0
    ) {
      const manifest = await this.getTree(hash);
      const unique = [...new Set(manifest.entries.map((e) => e.hash))];
      await mapLimit(unique, this.concurrency, check);
    }
    result.ok = result.missing.length === 0 && result.corrupt.length === 0;
    return result;
  }

  /**
   * Stores a file's content. Small files are read and hashed in memory first, so content already in
   * the store (re-adding a dataset of 70k images) costs a read and a hash, not a copy and an fsync;
   * large files stream into `tmp/` while hashing, then are renamed into place unless present.
   */
  private async storeFileContent(source: string): Promise<{ hash: string; size: number }> {
    const info = await stat(source);
    if (info.size <= IN_MEMORY_LIMIT) {
      const bytes = await readFile(source);
      const ref = await this.putBytes(bytes);
      return { hash: ref.hash, size: bytes.byteLength };
    }
    const tmp = tempPathFor(join(this.location, 'tmp', 'object'));
    await mkdir(dirname(tmp), { recursive: true });
    const hasher = createHash('sha256');
    let size = 0;
    try {
      const handle = await open(tmp, 'wx', OBJECT_MODE);
      try {
        for await (const chunk of createReadStream(source)) {
          const bytes = chunk as Buffer;
          hasher.update(bytes);
          size += bytes.byteLength;
          await handle.write(bytes);
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      const hash = hasher.digest('hex');
      const path = this.objectPath(hash);
      if (await exists(path)) {
        await rm(tmp, { force: true });
      } else {
        await mkdir(dirname(path), { recursive: true });
        await rename(tmp, path).catch(async (error: unknown) => {
          if (!(await exists(path))) throw error; // see putBytes: a concurrent writer got there first
          await rm(tmp, { force: true });
        });
        await fsyncDir(dirname(path));
      }
      return { hash, size };
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  private async readObject(hash: string): Promise<Buffer> {
    try {
      return await readFile(this.objectPath(hash));
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) throw objectMissingError(hash, this.location);
      throw error;
    }
  }

  /** Places every file of `manifest` under `root` with `place(hash, destination)`. */
  private async writeTreeFiles(
    manifest: TreeManifest,
    root: string,
    place: (hash: string, to: string) => Promise<void>,
  ): Promise<void> {
    const dirs = new Set(manifest.entries.map((e) => dirname(join(root, e.path))));
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    await mapLimit(manifest.entries, this.concurrency, (entry) => place(entry.hash, join(root, entry.path)));
  }

  /** Hard-links an object to `to` (sharing its read-only inode); copies where links are refused. */
  private async linkOrCopy(hash: string, to: string): Promise<void> {
    try {
      await link(this.objectPath(hash), to);
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) throw objectMissingError(hash, this.location);
      // EXDEV (another filesystem), EPERM/ENOTSUP (no hard links), EMLINK (link count limit).
      await this.copyObject(hash, to);
      await chmod(to, OBJECT_MODE);
    }
  }

  /** Copies an object to `to` (a reflink where the filesystem supports it). */
  private async copyObject(hash: string, to: string): Promise<void> {
    try {
      await copyFile(this.objectPath(hash), to, constants.COPYFILE_FICLONE);
    } catch (error) {
      if (isErrnoException(error, 'ENOENT') && !(await exists(this.objectPath(hash)))) {
        throw objectMissingError(hash, this.location);
      }
      throw error;
    }
    await chmod(to, CHECKOUT_MODE);
  }

  /** Copies an object to `dest` atomically (temp next to it, then rename) as a writable file. */
  private async copyOut(hash: string, dest: string): Promise<void> {
    await mkdir(dirname(dest), { recursive: true });
    const tmp = tempPathFor(dest);
    try {
      await this.copyObject(hash, tmp);
      await rename(tmp, dest);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }
}

function makeRef(
  hash: string,
  kind: ArtifactRef['kind'],
  size: number,
  meta: { name?: string; mediaType?: string },
): ArtifactRef {
  const ref: ArtifactRef = { hash, kind, size };
  if (meta.name !== undefined) ref.name = meta.name;
  if (meta.mediaType !== undefined) ref.mediaType = meta.mediaType;
  return ref;
}

function corruptError(hash: string, path: string): MlopsError {
  return new MlopsError(
    'MLOPS_ERR_STORE_CORRUPT',
    `store object ${path} does not hash to ${hash}; it is damaged`,
    {
      file: path,
      hint: 'Delete the object file, then run `mlops data pull` or rerun the stage that produced it with --force.',
    },
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT', 'ENOTDIR')) return false;
    throw error;
  }
}

async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return [];
    throw error;
  }
}
