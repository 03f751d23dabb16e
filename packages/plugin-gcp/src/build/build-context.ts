/**
 * The build context Cloud Build receives: the project folder as a deterministic gzipped tarball,
 * without what {@link IgnoreRules} leaves out, plus the Dockerfiles mlops renders (at
 * `.mlops-build/Dockerfile` and, for GPU jobs, `.mlops-build/Dockerfile.gpu`, so a hand-written
 * `Dockerfile` is never touched). The sha256 of the
 * tar bytes names the image (`:ctx-<hash>`): the same files give the same tag, so an unchanged
 * project reuses the image it already pushed.
 *
 * Before anything is packed the context is checked: `package.json` and `package-lock.json` must be
 * there (the image runs `npm ci`), every plugin package of the config must be a production
 * dependency (or the image would lack it), and no file may contain the value of a credential set
 * in the environment (the W&B key goes to Secret Manager, never into an image).
 */

import { createHash } from 'node:crypto';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isErrnoException } from '@mlops/core';
import { gcpErrors } from '../errors.js';
import { ALWAYS_EXCLUDED, IgnoreRules, parseIgnoreFile } from './ignore-rules.js';
import { type TarEntry, writeTar } from './tar.js';

/** Where the rendered Dockerfile sits inside the context. */
export const CONTEXT_DOCKERFILE = '.mlops-build/Dockerfile';

/**
 * Where the Dockerfile of the GPU variant sits inside the context (Vertex AI jobs with an
 * accelerator; see `gpu-dockerfile.ts`). Every context carries both Dockerfiles, so the CPU image
 * and the GPU image of one state of the project share its content hash.
 */
export const CONTEXT_GPU_DOCKERFILE = '.mlops-build/Dockerfile.gpu';

/** Files mlops writes into the project (marked with this text), left out of the context hash. */
export const WRITTEN_BY_MLOPS = /Written by `?mlops/;

/** Options of {@link createBuildContext}. */
export interface BuildContextOptions {
  /** The project root (the config's folder). */
  root: string;
  /** The Dockerfile text, added at {@link CONTEXT_DOCKERFILE}. */
  dockerfile: string;
  /** More generated files (path in the context → text), added after the Dockerfile, e.g. {@link CONTEXT_GPU_DOCKERFILE}. */
  generated?: Record<string, string>;
  /** More paths (relative to the root) left out whatever the ignore files say: store, data. */
  exclude?: string[];
  /** Credential values that must not appear in any file sent. */
  secretValues?: string[];
}

/** A packed build context. */
export interface BuildContext {
  /** The files sent, sorted, with their sizes. */
  files: { path: string; size: number }[];
  /** Size of the uncompressed tar. */
  bytes: number;
  /** sha256 of the tar: the content hash. */
  hash: string;
  /** The image tag derived from the hash, `ctx-<first 24 hex>`. */
  tag: string;
  /** The gzipped tarball. */
  archive: Buffer;
  /** Folders and files of the root left out, with the rule that did it (for `--dry-run`). */
  excluded: string[];
}

/** Packs the context; see the module comment. */
export async function createBuildContext(options: BuildContextOptions): Promise<BuildContext> {
  const root = await realpath(resolve(options.root));
  await requireFile(root, 'package.json');
  await requireFile(root, 'package-lock.json');
  const patterns = await ignorePatterns(root);
  const rules = new IgnoreRules([...ALWAYS_EXCLUDED, ...(options.exclude ?? [])], patterns);
  const excluded: string[] = [];
  const paths: string[] = [];
  await walk(root, '', rules, paths, excluded);
  paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const secrets = (options.secretValues ?? []).filter((v) => v.length >= 8).map((v) => Buffer.from(v));
  const entries: TarEntry[] = [];
  const files: { path: string; size: number }[] = [];
  for (const path of paths) {
    const file = join(root, ...path.split('/'));
    const info = await stat(file);
    const data = await readFile(file);
    if (!path.includes('/') && /^(Dockerfile.*|\.dockerignore)$/.test(path) && isWrittenByMlops(data)) {
      continue; // regenerated from the config on every deploy; the context carries its own copy
    }
    if (secrets.some((s) => data.includes(s))) {
      throw gcpErrors.create(
        'MLOPS_GCP_ERR_BUILD_CONTEXT',
        `${path} contains the value of a credential from your environment; it would be baked into the image`,
        {
          file,
          hint: 'Remove it from the file (or list the file in .gcloudignore), and give the service or job the credential with --secret NAME=<Secret Manager secret> instead.',
        },
      );
    }
    entries.push({ path, data, executable: (info.mode & 0o111) !== 0 });
    files.push({ path, size: data.length });
  }
  if (entries.length === 0) {
    throw gcpErrors.create(
      'MLOPS_GCP_ERR_BUILD_CONTEXT',
      `the build context ${root} is empty after the ignore rules`,
      {
        hint: 'Check .gcloudignore / .dockerignore: they must not exclude the config and package.json.',
      },
    );
  }
  const generated = Object.entries(options.generated ?? {})
    .filter(([path]) => path !== CONTEXT_DOCKERFILE)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [path, text] of [[CONTEXT_DOCKERFILE, options.dockerfile], ...generated] as const) {
    entries.push({ path, data: Buffer.from(text) });
    files.push({ path, size: Buffer.byteLength(text) });
  }
  const tar = writeTar(entries);
  const hash = createHash('sha256').update(tar).digest('hex');
  return {
    files,
    bytes: tar.length,
    hash,
    tag: `ctx-${hash.slice(0, 24)}`,
    archive: gzipSync(tar, { level: 6 }),
    excluded,
  };
}

/** Whether a file's first lines carry the mlops marker. */
export function isWrittenByMlops(data: Uint8Array | string): boolean {
  const head = typeof data === 'string' ? data.slice(0, 400) : Buffer.from(data).subarray(0, 400).toString();
  return WRITTEN_BY_MLOPS.test(head);
}

async function requireFile(root: string, name: string): Promise<void> {
  try {
    await stat(join(root, name));
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
    throw gcpErrors.create('MLOPS_GCP_ERR_BUILD_CONTEXT', `the image build needs ${name} in ${root}`, {
      file: join(root, name),
      hint:
        name === 'package-lock.json'
          ? 'The image installs the dependencies with `npm ci`: run `npm install` in the project to write the lockfile (inside an npm workspace, build the image yourself and pass --image).'
          : 'Build from the folder holding mlops.config.ts and its package.json.',
    });
  }
}

/** The ignore files' patterns: `.gcloudignore` (with its includes), then `.dockerignore`. */
async function ignorePatterns(root: string): Promise<string[]> {
  const patterns: string[] = [];
  for (const name of ['.gcloudignore', '.dockerignore']) {
    const text = await readOptional(join(root, name));
    if (text === undefined) continue;
    const parsed = parseIgnoreFile(text);
    for (const include of parsed.includes) {
      const included = await readOptional(join(root, include));
      if (included !== undefined) patterns.push(...parseIgnoreFile(included).patterns);
    }
    patterns.push(...parsed.patterns);
  }
  return patterns;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT', 'EISDIR')) return undefined;
    throw error;
  }
}

async function walk(
  root: string,
  dir: string,
  rules: IgnoreRules,
  out: string[],
  excluded: string[],
): Promise<void> {
  const entries = await readdir(join(root, dir), { withFileTypes: true });
  for (const entry of entries) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      // Followed only when the target stays inside the project.
      const target = await stat(join(root, path)).catch(() => undefined);
      const real = await realpath(join(root, path)).catch(() => undefined);
      if (!target || !real || real === root || relative(root, real).startsWith('..')) continue;
      isDir = target.isDirectory();
      isFile = target.isFile();
    }
    if (!isDir && !isFile) continue;
    if (rules.excludes(path, isDir)) {
      if (!dir) excluded.push(`${path}${isDir ? '/' : ''}`);
      continue;
    }
    if (isDir) await walk(root, path, rules, out, excluded);
    else out.push(path);
  }
}
