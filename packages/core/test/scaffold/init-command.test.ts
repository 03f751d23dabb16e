import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runInit } from '../../src/cli/init-command.js';
import { captureIO, cli } from '../cli/cli-harness.js';

const temps: string[] = [];
async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-init-'));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Answers typed into the prompts, and what the prompts printed. */
function terminal(answers: string[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  input.end(answers.map((a) => `${a}\n`).join(''));
  return { prompting: { input, output, interactive: true }, printed: () => printed };
}

describe('mlops init', () => {
  it('creates a project from flags alone, named after its folder, and says what to do next', async () => {
    const root = await temp();
    const dir = join(root, 'Shoe Sorter');
    const result = await cli(['init', dir, '--template', 'fashion-mnist', '--ci', 'none', '--yes']);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/^created shoe-sorter in .*Shoe Sorter: fashion-mnist; 6 files$/m);
    expect(result.out).toContain('npm install');
    expect(result.out).toContain('npx mlops run');
    expect(result.out).not.toContain('mlops data add');
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('shoe-sorter');
    expect(pkg.dependencies['fashion-mnist']).toBe('1.1.0');
    expect((await readdir(dir)).sort()).toEqual(
      ['.gitignore', '.npmrc', 'README.md', 'mlops.config.ts', 'package.json', 'tsconfig.json'].sort(),
    );
  });

  it('prints the result as JSON with --json, and --bucket turns Google Cloud on', async () => {
    const root = await temp();
    const result = await cli([
      '--json',
      'init',
      join(root, 'p'),
      '--name',
      'pets',
      '--bucket',
      'gs://acme/pets',
    ]);
    expect(result.code, result.err).toBe(0);
    const printed = JSON.parse(result.out);
    expect(printed.options).toEqual({
      name: 'pets',
      template: 'imagefolder',
      ci: 'github',
      gcp: true,
      bucket: 'gs://acme/pets',
    });
    expect(printed.files).toContain('.github/workflows/deploy.yml');
    expect(await readFile(join(root, 'p', 'mlops.config.ts'), 'utf8')).toContain("remote: 'gs://acme/pets'");
  });

  it('exits 2 on a folder that is not empty, unless --force', async () => {
    const root = await temp();
    await writeFile(join(root, 'notes.txt'), 'mine\n');
    const refused = await cli(['init', root, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/^mlops: .* is not empty \(notes\.txt\); nothing was written/);
    expect(refused.err).toContain('hint:');
    expect(await readdir(root)).toEqual(['notes.txt']);
    const forced = await cli(['init', root, '--yes', '--force']);
    expect(forced.code, forced.err).toBe(0);
    expect(await readdir(root)).toEqual(expect.arrayContaining(['notes.txt', 'mlops.config.ts', 'data']));
  });

  it('exits 2 on options it does not know', async () => {
    const root = await temp();
    const template = await cli(['init', join(root, 'x'), '--template', 'cifar10', '--yes']);
    expect(template.code).toBe(2);
    expect(template.err).toContain('unknown template "cifar10"');
    expect(template.err).toContain('imagefolder, fashion-mnist, mnist');
    const name = await cli(['init', join(root, 'y'), '--name', 'Bad Name', '--yes']);
    expect(name.code).toBe(2);
    const bucket = await cli(['init', join(root, 'z'), '--no-gcp', '--bucket', 'gs://abc', '--yes']);
    expect(bucket.code).toBe(2);
    expect(bucket.err).toContain('--bucket only applies to a project with Google Cloud');
    expect(await readdir(root)).toEqual([]);
  });

  it('asks on a terminal for what the flags leave out, re-asking invalid answers', async () => {
    const root = await temp();
    const io = captureIO();
    const { prompting, printed } = terminal(['Bad Name', 'vision', '9', 'mnist', '', 'maybe', 'y', '']);
    const result = await runInit(join(root, 'here'), {}, io, prompting);
    // 'Bad Name' → asked again; 'vision' replaces the folder's name; '9' is no template; 'mnist'
    // picks by name; Enter keeps GitHub; 'maybe' → asked again; y → gcp; Enter → the default bucket.
    expect(printed()).toContain('Project name? [here]');
    expect(printed()).toContain('not a valid npm package name');
    expect(printed()).toContain('"9" is none of 1-3');
    expect(printed()).toContain('answer y or n');
    expect(printed()).toContain('Bucket? [gs://vision-mlops/mlops]');
    const config = await readFile(join(result.dir, 'mlops.config.ts'), 'utf8');
    expect(config).toContain("project: 'vision'");
    expect(config).toContain("data: { source: 'mnist' }");
    expect(config).toContain("remote: 'gs://vision-mlops/mlops'");
    expect(result.files).toContain('.github/workflows/deploy.yml');
  });

  it('asks only what the flags left out, and takes the defaults when the input ends', async () => {
    const root = await temp();
    const io = captureIO();
    const { prompting, printed } = terminal([]);
    const result = await runInit(join(root, 'quick'), { template: 'mnist' }, io, prompting);
    expect(printed()).toContain('Project name? [quick]');
    expect(printed()).not.toContain('Data:');
    expect(printed()).toContain('GitHub Actions workflows');
    const pkg = JSON.parse(await readFile(join(result.dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('quick');
    expect(pkg.dependencies['@mlops/plugin-gcp']).toBeUndefined();
    expect(result.files).toContain('.github/workflows/test.yml');
  });

  it('asks nothing with --yes, or when every option is given', async () => {
    const root = await temp();
    const { prompting, printed } = terminal(['should-not-be-read']);
    await runInit(join(root, 'a'), { yes: true }, captureIO(), prompting);
    await runInit(join(root, 'b'), { template: 'mnist', ci: 'none', gcp: false }, captureIO(), prompting);
    expect(printed()).toBe('');
  });
});
