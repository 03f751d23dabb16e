/** The code version of a run, from git. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GitInfo } from './run-record.js';

const execFileAsync = promisify(execFile);

/**
 * HEAD's commit and whether tracked files have uncommitted changes, for the repository containing
 * `cwd`. Null outside a repository, in one without commits, or when git is not installed: a run
 * must never fail for lack of git. Untracked files do not count as dirty, since outputs such as
 * `.mlops/` or exported models are often untracked without being code changes.
 */
export async function gitInfo(cwd: string): Promise<GitInfo | null> {
  // No optional locks: `git status` would otherwise refresh and rewrite the index, racing with
  // whatever git command the user runs meanwhile.
  const options = { cwd, timeout: 10_000, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } };
  try {
    const head = await execFileAsync('git', ['rev-parse', '--verify', 'HEAD'], options);
    const status = await execFileAsync('git', ['status', '--porcelain', '--untracked-files=no'], options);
    const sha = head.stdout.trim();
    if (!/^[0-9a-f]{40,64}$/.test(sha)) return null;
    return { sha, dirty: status.stdout.trim() !== '' };
  } catch {
    return null;
  }
}

/** The form registry lineage uses: the sha, with `-dirty` appended when the tree had changes. */
export function formatGitSha(info: GitInfo): string {
  return info.dirty ? `${info.sha}-dirty` : info.sha;
}
