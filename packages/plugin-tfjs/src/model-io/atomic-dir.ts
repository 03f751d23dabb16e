import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { tfjsErrors } from '../errors.js';

/** One file to place in the directory. */
export interface DirectoryFile {
  /** Plain file name (no path separators). */
  readonly name: string;
  readonly data: string | Uint8Array;
}

/** Prefix of the sibling a replaced directory is parked under while the new one moves in. */
export function parkedPrefix(dir: string): string {
  return `.${basename(resolve(dir))}.old-`;
}

async function writeDurably(path: string, data: string | Uint8Array): Promise<void> {
  // 'wx': the temp dir is ours alone, so an existing file means a bug, never something to clobber.
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory so renames/creations inside it survive a crash; a no-op where unsupported. */
async function syncDirectory(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (err) {
    // Windows cannot open or fsync directories; durability there rests on the file fsyncs.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}

async function existsAsDirectory(dir: string): Promise<boolean> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory())
      throw tfjsErrors.create(
        'MLOPS_TFJS_ERR_SAVE_TARGET',
        `Cannot save to ${dir}: it exists and is not a directory`,
        { file: dir, hint: 'Remove the file at that path, or save somewhere else.' },
      );
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Moves `staged` to `dir`, parking and then deleting any existing `dir`; rolls back on failure. */
async function commit(staged: string, dir: string): Promise<void> {
  if (!(await existsAsDirectory(dir))) {
    await rename(staged, dir);
    return;
  }
  // Directories cannot be renamed over non-empty ones portably, so park the old one first.
  const parked = join(dirname(dir), `${parkedPrefix(dir)}${randomBytes(6).toString('hex')}`);
  await rename(dir, parked);
  try {
    await rename(staged, dir);
  } catch (err) {
    await rename(parked, dir);
    throw err;
  }
  // The new version is in place; failing to delete the old one must not fail the save.
  await rm(parked, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Writes `files` as the complete contents of `dir`, atomically: they are written and fsynced in a
 * temp directory next to `dir` (same filesystem, so rename is atomic), then renamed into place.
 * An existing `dir` is renamed away, the new one renamed in, and the old one deleted. Readers see
 * either the old or the new directory, never a half-written one; if anything fails before the
 * commit, `dir` is untouched and the temp directory is removed. A crash between the two renames
 * leaves the previous version under `.<name>.old-*` beside `dir`.
 * Not safe for several concurrent writers to the same `dir`.
 */
export async function writeDirectoryAtomically(dir: string, files: readonly DirectoryFile[]): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  for (const file of files) {
    if (!file.name || file.name !== basename(file.name) || file.name === '.' || file.name === '..') {
      throw new Error(`Invalid file name '${file.name}' for ${target}`);
    }
  }
  await mkdir(parent, { recursive: true });
  const staged = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
  try {
    for (const file of files) await writeDurably(join(staged, file.name), file.data);
    await syncDirectory(staged);
    await commit(staged, target);
  } catch (err) {
    await rm(staged, { recursive: true, force: true });
    throw err;
  }
  await syncDirectory(parent);
}
