/**
 * Writes a rendered project to disk. A new folder appears whole or not at all: the files are
 * written into a temp folder beside it, which is then renamed into place. Into an existing folder
 * (with `force`, or one holding only `.git`), each file is renamed into place from the same temp
 * folder, so no file is ever half-written.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MlopsError } from '../errors.js';
import { isErrnoException } from '../store/atomic-write.js';
import type { ScaffoldFile } from './render.js';

/** Entries a folder may hold and still count as empty (a fresh `git clone` of an empty repository). */
const IGNORED_ENTRIES = new Set(['.git']);

/** Options of {@link writeProject}. */
export interface WriteProjectOptions {
  /** Write into a folder that is not empty: files of the same name are replaced, the others kept. */
  force?: boolean;
}

/** What {@link writeProject} did. */
export interface WriteProjectResult {
  /** The project folder, absolute. */
  dir: string;
  /** Every file written, relative to {@link dir}. */
  files: string[];
  /** The files that replaced existing ones (only with `force`). */
  replaced: string[];
}

/** The entries of `dir`, or undefined when it does not exist. */
async function entriesOf(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return undefined;
    if (isErrnoException(error, 'ENOTDIR')) {
      throw new MlopsError('MLOPS_ERR_USAGE', `${dir} is a file, not a folder`, {
        file: dir,
        hint: 'Name a new folder for the project.',
      });
    }
    throw error;
  }
}

/** Whether `path` exists (as anything). */
async function exists(path: string): Promise<boolean> {
  return (await entriesOf(dirname(path)))?.includes(basename(path)) ?? false;
}

/**
 * Writes `files` into `dir`. Refuses (`MLOPS_ERR_USAGE`) a folder that holds anything but `.git`
 * unless `force` is set.
 */
export async function writeProject(
  dir: string,
  files: readonly ScaffoldFile[],
  options: WriteProjectOptions = {},
): Promise<WriteProjectResult> {
  const target = resolve(dir);
  const entries = await entriesOf(target);
  const occupied = (entries ?? []).filter((entry) => !IGNORED_ENTRIES.has(entry)).sort();
  if (occupied.length > 0 && !options.force) {
    const shown =
      occupied.slice(0, 5).join(', ') + (occupied.length > 5 ? `, … (${occupied.length} entries)` : '');
    throw new MlopsError('MLOPS_ERR_USAGE', `${target} is not empty (${shown}); nothing was written`, {
      file: target,
      hint: 'Name a new folder, or pass --force to write the project into this one (files of the same name are replaced, the others kept).',
    });
  }
  for (const file of files) {
    if (file.path.startsWith('/') || file.path.split('/').includes('..'))
      throw new Error(`scaffold file path ${file.path} leaves the project folder`);
  }
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  // Beside the target, so every rename below stays on one filesystem (and is atomic).
  const staging = join(
    parent,
    `.${basename(target)}.mlops-init-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const replaced: string[] = [];
  try {
    for (const file of files) {
      const path = join(staging, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content, { flag: 'wx' });
    }
    if (entries === undefined) {
      await rename(staging, target);
    } else if (entries.length === 0) {
      await rmdir(target);
      await rename(staging, target);
    } else {
      for (const file of files) {
        const destination = join(target, file.path);
        await mkdir(dirname(destination), { recursive: true });
        if (await exists(destination)) replaced.push(file.path);
        await rename(join(staging, file.path), destination).catch((error: unknown) => {
          if (isErrnoException(error, 'EISDIR') || isErrnoException(error, 'ENOTEMPTY')) {
            throw new MlopsError(
              'MLOPS_ERR_USAGE',
              `${destination} is a folder; the project needs a file there`,
              {
                file: destination,
                hint: 'Move that folder away, or name a new folder for the project.',
              },
            );
          }
          throw error;
        });
      }
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { dir: target, files: files.map((f) => f.path), replaced };
}
