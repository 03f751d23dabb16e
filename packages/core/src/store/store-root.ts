/**
 * The store's own directory. A store creates it with a `.gitignore` of `*`, so a store kept under
 * any name (`store.path: .cache/models`, `--store runs-store`) stays out of git without an entry
 * in the project's `.gitignore`: its content is versioned by hash, not by git.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isErrnoException } from './atomic-write.js';

/** Content of the `.gitignore` a store writes when it creates its directory. */
export const STORE_GITIGNORE = '# Written by mlops: the store is versioned by content hash, not by git.\n*\n';

/**
 * Creates the store directory `root` if it does not exist yet, with its `.gitignore`. An existing
 * directory is left as it is (a `.gitignore` someone removed stays removed).
 */
export async function ensureStoreRoot(root: string): Promise<void> {
  const dir = resolve(root);
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir);
    await writeFile(join(dir, '.gitignore'), STORE_GITIGNORE, { flag: 'wx' }).catch((error: unknown) => {
      if (!isErrnoException(error, 'EEXIST')) throw error;
    });
  } catch (error) {
    if (!isErrnoException(error, 'EEXIST')) throw error;
  }
}
