/**
 * Crash-safe file and directory writes. A reader (or a process started after a crash) sees either
 * the old content or the new content under the final name, never a partial file: the data goes to
 * a temp file in the same directory (so the rename cannot cross filesystems), is fsynced, and is
 * then renamed over the target, which POSIX makes atomic.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MlopsError } from '../errors.js';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Mode bits of the new file, e.g. `0o444` for store objects. Default `0o666` less the umask. */
  mode?: number;
}

/**
 * A temp path next to `target`: `.<name>.<pid>.<random><suffix>`. The leading dot keeps it out of
 * store listings and `putDir` walks; pid + random keep concurrent writers (threads or processes)
 * from colliding.
 */
export function tempPathFor(target: string, suffix = '.tmp'): string {
  return join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}${suffix}`,
  );
}

/**
 * Writes `data` to `path` atomically: temp file in the same directory, write, fsync, rename over
 * `path`, then fsync the directory (best effort) so the rename itself survives a power loss.
 * Creates missing parent directories. The temp file is removed when anything fails.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const handle = await open(tmp, 'wx', options.mode ?? 0o666);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDir(dirname(path));
}

/** Writes `value` as pretty-printed JSON (with a final newline) atomically; see {@link writeFileAtomic}. */
export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, options);
}

/**
 * Reads and parses a JSON file. A missing file rejects with the usual `ENOENT` error (callers
 * decide what absence means); invalid JSON rejects with `MLOPS_ERR_STORE_CORRUPT` naming the file.
 */
export async function readJson<T>(path: string): Promise<T> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new MlopsError(
      'MLOPS_ERR_STORE_CORRUPT',
      `${path} is not valid JSON: ${(cause as Error).message}`,
      {
        file: path,
        hint: 'The file was edited by hand or written by a tool that crashed; restore it from version control or delete it to rebuild it.',
        cause,
      },
    );
  }
}

/** Like {@link readJson}, but resolves `undefined` when the file does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return await readJson<T>(path);
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Moves the directory `from` to `to`. When `to` already exists it is replaced: the old directory is
 * renamed aside (`.<name>.<pid>.<random>.old`), the new one renamed in, and the old one removed.
 * Each step is an atomic rename; a crash between the first two leaves `to` absent and the old
 * content intact under the `.old` name rather than a half-written `to`.
 */
export async function renameDirAtomic(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await rename(from, to);
    await fsyncDir(dirname(to));
    return;
  } catch (error) {
    if (!isErrnoException(error, 'ENOTEMPTY', 'EEXIST', 'EISDIR', 'EPERM')) throw error;
  }
  const aside = tempPathFor(to, '.old');
  await rename(to, aside);
  try {
    await rename(from, to);
  } catch (error) {
    await rename(aside, to); // put the old directory back: better old than nothing
    throw error;
  }
  await fsyncDir(dirname(to));
  await rm(aside, { recursive: true, force: true });
}

/**
 * Builds a directory atomically: `fill` writes into a fresh temp directory next to `dest`, which
 * then replaces `dest` (see {@link renameDirAtomic}). The temp directory is removed when `fill`
 * or the rename fails.
 */
export async function writeDirAtomic(dest: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  await mkdir(tmp);
  try {
    await fill(tmp);
    await renameDirAtomic(tmp, dest);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * fsyncs a directory so a rename in it is durable. Best effort: some platforms (Windows) and
 * filesystems refuse to open or sync directories, and the data itself is already synced.
 */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Durability of the directory entry is an optimization here, not a correctness requirement.
  }
}

/** True when `error` is a Node system error with one of the given `code`s (e.g. `ENOENT`). */
export function isErrnoException(error: unknown, ...codes: string[]): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    codes.includes((error as NodeJS.ErrnoException).code!)
  );
}
