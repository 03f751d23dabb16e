import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMlops } from '../src/index.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

function captureIO() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    io: { out: (text: string) => void stdout.push(text), err: (text: string) => void stderr.push(text) },
    out: () => stdout.join('\n'),
    err: () => stderr.join('\n'),
  };
}

describe('npm create mlops', () => {
  it('takes the arguments of mlops init, --json included', async () => {
    const root = await mkdtemp(join(tmpdir(), 'create-mlops-'));
    temps.push(root);
    const captured = captureIO();
    const code = await createMlops(
      [join(root, 'digits'), '--template', 'mnist', '--ci', 'github', '--gcp', '--json'],
      captured.io,
    );
    expect(code, captured.err()).toBe(0);
    const result = JSON.parse(captured.out()) as { options: Record<string, unknown>; files: string[] };
    expect(result.options).toMatchObject({ name: 'digits', template: 'mnist', ci: 'github', gcp: true });
    expect(result.files).toEqual(expect.arrayContaining(['mlops.config.ts', '.github/workflows/deploy.yml']));
    const pkg = JSON.parse(await readFile(join(root, 'digits', 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).toEqual([
      '@mlops/core',
      '@mlops/plugin-gcp',
      '@mlops/plugin-onnx',
      '@mlops/plugin-tfjs',
      '@mlops/server',
      'mnist',
    ]);
  });

  it('exits 2 with the cause when the folder is taken, and prints mlops init’s help', async () => {
    const root = await mkdtemp(join(tmpdir(), 'create-mlops-'));
    temps.push(root);
    expect(await createMlops([root, '--yes', '--template', 'mnist'], captureIO().io)).toBe(0);
    const again = captureIO();
    expect(await createMlops([root, '--yes'], again.io)).toBe(2);
    expect(again.err()).toContain('is not empty');
    expect((await readdir(root)).sort()).toContain('mlops.config.ts');
    const help = captureIO();
    expect(await createMlops(['--help'], help.io)).toBe(0);
    expect(help.out()).toMatch(/--template <template>/);
  });
});
