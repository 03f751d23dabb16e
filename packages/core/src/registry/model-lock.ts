/**
 * Cross-process exclusion for registry writes: a proper-lockfile lock (an atomic `mkdir` of a lock
 * directory whose mtime the holder refreshes). A lock left by a crashed process goes stale after
 * {@link LOCK_STALE_MS} and is then taken over, so a crash never blocks the registry for good.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lock } from 'proper-lockfile';
import { MlopsError } from '../errors.js';

/** A lock not refreshed for this long is considered abandoned (proper-lockfile's minimum is 2 s). */
export const LOCK_STALE_MS = 10_000;

/** Retry schedule while another process holds the lock: up to ~30 s, well past the stale time. */
const RETRIES = { retries: 200, factor: 1.3, minTimeout: 5, maxTimeout: 150, randomize: true };

/**
 * Runs `task` holding the lock directory `lockPath`. `task` gets `assertHeld`, to call right
 * before committing a write: it throws if the lock was lost meanwhile (the process stalled longer
 * than the stale time and another process took over), so a late writer never overwrites newer
 * state.
 */
export async function withLock<T>(
  lockPath: string,
  what: string,
  task: (assertHeld: () => void) => Promise<T>,
): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lock(lockPath, {
      lockfilePath: lockPath,
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: RETRIES,
      onCompromised: (error) => {
        compromised = error; // the default handler throws from a timer, which would crash the process
      },
    });
  } catch (cause) {
    throw new MlopsError('MLOPS_ERR_REGISTRY_LOCKED', `${what} is locked by another process (${lockPath})`, {
      file: lockPath,
      hint: `Retry when the other mlops command finishes; a lock left by a crashed process is cleared after ${LOCK_STALE_MS / 1000} s.`,
      cause,
    });
  }
  const assertHeld = (): void => {
    if (compromised) {
      throw new MlopsError(
        'MLOPS_ERR_REGISTRY_LOCKED',
        `lost the lock on ${what} (${lockPath}); nothing was written`,
        {
          file: lockPath,
          hint: 'The process stalled and another one took over the lock; run the command again.',
          cause: compromised,
        },
      );
    }
  };
  try {
    return await task(assertHeld);
  } finally {
    // Releasing a compromised lock fails; the lock is no longer ours to remove, so that is fine.
    await release().catch(() => undefined);
  }
}
