import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMlopsError } from '../../src/errors.js';
import { writeProject } from '../../src/scaffold/write-project.js';

const FILES = [
  { path: 'README.md', content: '# new\n' },
  { path: 'data/train/cat/.gitkeep', content: '' },
  { path: 'mlops.config.ts', content: 'export default {};\n' },
];

const temps: string[] = [];
async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-write-'));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory()) out.push(...(await tree(join(dir, entry.name), `${rel}/`)));
    else out.push(rel);
  }
  return out.sort();
}

describe('writeProject', () => {
  it('creates a new folder (and its parents) with every file, leaving no temp folder', async () => {
    const root = await temp();
    const result = await writeProject(join(root, 'a', 'b', 'project'), FILES);
    expect(result.files).toEqual(FILES.map((f) => f.path));
    expect(result.replaced).toEqual([]);
    expect(await tree(join(root, 'a', 'b', 'project'))).toEqual(FILES.map((f) => f.path).sort());
    expect(await readdir(join(root, 'a', 'b'))).toEqual(['project']);
    expect(await readFile(join(root, 'a', 'b', 'project', 'README.md'), 'utf8')).toBe('# new\n');
  });

  it('fills an empty folder, or one holding only .git', async () => {
    const root = await temp();
    await mkdir(join(root, 'empty'));
    await writeProject(join(root, 'empty'), FILES);
    expect(await tree(join(root, 'empty'))).toEqual(FILES.map((f) => f.path).sort());
    await mkdir(join(root, 'cloned', '.git'), { recursive: true });
    await writeFile(join(root, 'cloned', '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeProject(join(root, 'cloned'), FILES);
    expect(await tree(join(root, 'cloned'))).toEqual(['.git/HEAD', ...FILES.map((f) => f.path)].sort());
    expect((await readdir(root)).sort()).toEqual(['cloned', 'empty']);
  });

  it('refuses a folder that is not empty, writing nothing', async () => {
    const root = await temp();
    const project = join(root, 'project');
    await mkdir(project);
    await writeFile(join(project, 'README.md'), 'mine\n');
    let caught: unknown;
    try {
      await writeProject(project, FILES);
    } catch (error) {
      caught = error;
    }
    expect(isMlopsError(caught, 'MLOPS_ERR_USAGE')).toBe(true);
    expect((caught as Error).message).toContain(`${project} is not empty (README.md)`);
    expect((caught as { hint?: string }).hint).toContain('--force');
    expect(await tree(project)).toEqual(['README.md']);
    expect(await readFile(join(project, 'README.md'), 'utf8')).toBe('mine\n');
    expect(await readdir(root)).toEqual(['project']);
  });

  it('with force, replaces same-named files and keeps the others', async () => {
    const root = await temp();
    const project = join(root, 'project');
    await mkdir(join(project, 'src'), { recursive: true });
    await writeFile(join(project, 'README.md'), 'mine\n');
    await writeFile(join(project, 'src', 'keep.ts'), 'keep\n');
    const result = await writeProject(project, FILES, { force: true });
    expect(result.replaced).toEqual(['README.md']);
    expect(await tree(project)).toEqual([...FILES.map((f) => f.path), 'src/keep.ts'].sort());
    expect(await readFile(join(project, 'README.md'), 'utf8')).toBe('# new\n');
    expect(await readFile(join(project, 'src', 'keep.ts'), 'utf8')).toBe('keep\n');
    expect(await readdir(root)).toEqual(['project']);
  });

  it('refuses a file where the project needs a folder, and a folder where it needs a file', async () => {
    const root = await temp();
    await writeFile(join(root, 'file'), 'x');
    await expect(writeProject(join(root, 'file'), FILES)).rejects.toThrow(/is a file, not a folder/);
    const project = join(root, 'project');
    await mkdir(join(project, 'README.md', 'inside'), { recursive: true });
    await expect(writeProject(project, FILES, { force: true })).rejects.toThrow(/README\.md is a folder/);
    expect((await readdir(root)).sort()).toEqual(['file', 'project']);
  });
});
