import type { InjectionToken } from 'tsyringe';
import type { JsonObject } from '../util/json.js';

/**
 * A reference to content in an {@link ArtifactStore}. Files are addressed by the sha256 of their
 * bytes; directories by the sha256 of their tree manifest (sorted relative paths → file hashes), so
 * the same content always has the same reference, locally and in a remote bucket.
 */
export interface ArtifactRef {
  /** sha256 hex of the file, or of the tree manifest for a directory. */
  hash: string;
  /** Whether the reference names one file or a directory tree. */
  kind: 'file' | 'dir';
  /** Total size in bytes (all files of a tree). */
  size: number;
  /** A human name, e.g. `model` or `confusion-matrix.png`; not part of identity. */
  name?: string;
  /** Media type of a file, e.g. `image/png`. */
  mediaType?: string;
}

/** One entry of a directory's tree manifest. */
export interface TreeEntry {
  /** Path relative to the tree root, `/`-separated. */
  path: string;
  /** sha256 of the file. */
  hash: string;
  /** Size in bytes. */
  size: number;
}

/** The stored description of a directory: what {@link ArtifactRef.hash} of a `dir` ref hashes. */
export interface TreeManifest {
  /** Format marker. */
  format: 'mlops-tree/1';
  /** Files, sorted by path. */
  entries: TreeEntry[];
}

/**
 * Content-addressed storage of artifacts (datasets, models, reports). Core ships the local store
 * in `.mlops/objects`; plugins provide remote ones (`gs://`). Writes are atomic: an object is
 * either absent or complete under its final name.
 */
export interface ArtifactStore {
  /** Where the store lives: a directory path or a URL such as `gs://bucket/prefix`. */
  readonly location: string;
  /** Stores bytes; returns their reference. */
  putBytes(bytes: Uint8Array, meta?: { name?: string; mediaType?: string }): Promise<ArtifactRef>;
  /** Stores a file's content (the file itself is left in place). */
  putFile(path: string, meta?: { name?: string; mediaType?: string }): Promise<ArtifactRef>;
  /** Stores every file under a directory and its tree manifest. */
  putDir(dir: string, meta?: { name?: string }): Promise<ArtifactRef>;
  /**
   * Stores a tree assembled from files anywhere on disk: `entries` maps each relative path of the
   * tree to the file that holds its content (used for filtered datasets).
   */
  putTree(entries: { path: string; file: string }[], meta?: { name?: string }): Promise<ArtifactRef>;
  /** Whether an object with this hash is present. */
  has(hash: string): Promise<boolean>;
  /** Reads a file artifact's bytes. */
  getBytes(ref: ArtifactRef | string): Promise<Buffer>;
  /** Reads a directory artifact's manifest. */
  getTree(ref: ArtifactRef | string): Promise<TreeManifest>;
  /**
   * A local filesystem path holding the artifact: the object file itself for a file, a
   * materialized read-only copy for a directory. Do not modify what it points to.
   */
  localPath(ref: ArtifactRef): Promise<string>;
  /** Copies the artifact to `dest` (a file path, or a directory for a tree). */
  checkout(ref: ArtifactRef, dest: string): Promise<void>;
  /** All object hashes present. */
  list(): AsyncIterable<string>;
}

/** DI token of the run's {@link ArtifactStore}. */
export const ArtifactStore: InjectionToken<ArtifactStore> = Symbol.for('mlops.ArtifactStore');

/** Metadata a stage attaches when it announces an artifact. */
export interface ArtifactInfo {
  /** The reference. */
  ref: ArtifactRef;
  /** The stage that produced it. */
  stage: string;
  /** Free-form details (format, metrics, ...). */
  meta?: JsonObject;
}
