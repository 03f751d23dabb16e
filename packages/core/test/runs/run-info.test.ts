import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatGitSha, gitInfo } from '../../src/runs/git-info.js';
import { packageVersions } from '../../src/runs/package-versions.js';
import { makeTempDir } from '../store/spawn-ts.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

describe('gitInfo', () => {
  it('is null outside a repository and never throws', async () => {
    expect(await gitInfo(dir)).toBeNull();
    expect(await gitInfo(join(dir, 'does-not-exist'))).toBeNull();
  });

  it('reports HEAD and whether tracked files changed', async () => {
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir });
    git('init', '-q');
    expect(await gitInfo(dir)).toBeNull(); // no commit yet
    await writeFile(join(dir, 'a.txt'), 'a');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'init');
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir }).toString().trim();
    await writeFile(join(dir, 'untracked.txt'), 'u');
    expect(await gitInfo(dir)).toEqual({ sha, dirty: false });
    await writeFile(join(dir, 'a.txt'), 'changed');
    const info = await gitInfo(dir);
    expect(info).toEqual({ sha, dirty: true });
    expect(formatGitSha(info!)).toBe(`${sha}-dirty`);
  });
});

describe('packageVersions', () => {
  it('resolves versions from the project directory, also when exports hide package.json', async () => {
    const modules = join(dir, 'node_modules');
    await mkdir(join(modules, 'open-pkg'), { recursive: true });
    await writeFile(
      join(modules, 'open-pkg', 'package.json'),
      JSON.stringify({ name: 'open-pkg', version: '1.2.3' }),
    );
    await mkdir(join(modules, '@scope', 'closed'), { recursive: true });
    await writeFile(
      join(modules, '@scope', 'closed', 'package.json'),
      JSON.stringify({ name: '@scope/closed', version: '4.5.6', exports: { '.': './index.js' } }),
    );
    const project = join(dir, 'project', 'nested');
    await mkdir(project, { recursive: true });
    expect(packageVersions(['open-pkg', '@scope/closed', 'not-installed'], project)).toEqual({
      'open-pkg': '1.2.3',
      '@scope/closed': '4.5.6',
    });
  });
});
