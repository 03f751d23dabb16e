/**
 * Every `mlops` command a new project names — in its workflows, its README, its package.json
 * scripts and the "next:" lines `mlops init` prints — is one that project's CLI accepts: the words
 * name a command (built in, or from the project's plugins, e.g. `deploy` of @mlops/plugin-gcp),
 * every option exists, the arguments fit. Checked by commander itself with every action replaced by
 * a no-op, on the command tree `mlops` builds for that project's config.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCli, loadConfig, Pipeline, SCAFFOLD_TEMPLATES } from '@mlops/core';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addPluginCommand } from '../../core/src/cli/main.js';
import { createMlops } from '../src/index.js';
import { linkDependencies } from './workspace-project.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The `mlops` program of the project at `dir`: built-in commands plus its plugins', actions no-ops. */
async function programFor(dir: string): Promise<Command> {
  const quiet = { out: () => undefined, err: () => undefined };
  const program = createCli(quiet);
  const { config } = await loadConfig({ cwd: dir });
  const pipeline = await Pipeline.create({ config });
  for (const command of pipeline.commands) addPluginCommand(program, command);
  const silence = (command: Command) => {
    command.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    if (command !== program) command.action(() => undefined);
    for (const sub of command.commands) silence(sub);
  };
  silence(program);
  return program;
}

/** A commander usage error (by shape: core may load its own copy of commander). */
function isCommanderError(error: unknown): error is Error {
  return error instanceof Error && /^commander\./.test(String((error as { code?: unknown }).code));
}

/** The arguments of an `mlops …` command line: shell quotes dropped, `$VARS` standing alone left out. */
function argumentsOf(line: string): string[] {
  return line
    .replace(/#.*$/, '')
    .trim()
    .split(/\s+/)
    .filter((word) => word && !/^\$[A-Z_]+$/.test(word))
    .map((word) => word.replaceAll('"', '').replaceAll("'", ''));
}

/** Every `mlops …` command line in a project's files, with where it is. */
async function commandLines(dir: string, files: string[], next: string): Promise<[string, string][]> {
  const lines: [string, string][] = [];
  const scan = (where: string, text: string) => {
    for (const match of text.matchAll(/(?:^|\$\(|\s)(?:npx )?mlops ([^\n)`']*)/gm)) {
      const rest = (match[1] as string).trim();
      if (/^[a-z]/.test(rest)) lines.push([where, rest]);
    }
  };
  for (const file of files.filter((f) => f.startsWith('.github/workflows/'))) {
    const doc = parse(await readFile(join(dir, file), 'utf8')) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    for (const job of Object.values(doc.jobs))
      for (const step of job.steps) if (step.run) scan(file, step.run);
  }
  for (const file of ['README.md', 'data/README.md'].filter((f) => files.includes(f))) {
    const text = await readFile(join(dir, file), 'utf8');
    // Code blocks and inline code, where commands are meant to be typed.
    for (const block of text.matchAll(/```sh\n([\s\S]*?)```|`([^`\n]+)`/g))
      scan(file, block[1] ?? block[2] ?? '');
  }
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  for (const [name, script] of Object.entries(pkg.scripts)) scan(`package.json scripts.${name}`, script);
  scan('mlops init output', next);
  return lines;
}

describe('the mlops commands a new project names', () => {
  it.each(SCAFFOLD_TEMPLATES.flatMap((template) => [false, true].map((gcp) => [template, gcp] as const)))(
    'all exist with those options (%s, gcp %s)',
    async (template, gcp) => {
      const root = await mkdtemp(join(tmpdir(), 'create-mlops-commands-'));
      temps.push(root);
      const project = join(root, 'proj');
      const printed: string[] = [];
      const io = { out: (text: string) => void printed.push(text), err: () => undefined };
      expect(
        await createMlops([project, '--template', template, gcp ? '--gcp' : '--no-gcp', '--yes'], io),
      ).toBe(0);
      const files = JSON.parse(
        await (async () => {
          const json: string[] = [];
          const again = join(root, 'listing');
          await createMlops([again, '--template', template, gcp ? '--gcp' : '--no-gcp', '--yes', '--json'], {
            out: (t) => void json.push(t),
            err: () => undefined,
          });
          return json.join('\n');
        })(),
      ).files as string[];
      await linkDependencies(project);
      const lines = await commandLines(project, files, printed.join('\n'));
      // The ones every project has, so an extraction that finds nothing fails.
      expect(lines.map(([, line]) => line)).toEqual(expect.arrayContaining(['run', 'serve']));
      if (gcp) expect(lines.some(([, line]) => line.startsWith('deploy --target cloud-run'))).toBe(true);
      const problems: string[] = [];
      for (const [where, line] of lines) {
        const program = await programFor(project);
        try {
          await program.parseAsync(argumentsOf(line), { from: 'user' });
        } catch (error) {
          if (!isCommanderError(error)) throw error;
          problems.push(`${where}: mlops ${line} → ${JSON.stringify(argumentsOf(line))}: ${error.message}`);
        }
      }
      expect(problems).toEqual([]);
    },
    60_000,
  );

  it('catches a command or an option that does not exist', async () => {
    const root = await mkdtemp(join(tmpdir(), 'create-mlops-commands-'));
    temps.push(root);
    const project = join(root, 'proj');
    expect(
      await createMlops([project, '--template', 'mnist', '--gcp', '--yes'], {
        out: () => undefined,
        err: () => undefined,
      }),
    ).toBe(0);
    await linkDependencies(project);
    for (const wrong of [
      'deploy --target cloud-run --regoin x',
      'data pul',
      'run --epochs 1',
      'data status',
    ]) {
      const program = await programFor(project);
      const error = await program.parseAsync(argumentsOf(wrong), { from: 'user' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isCommanderError(error), wrong).toBe(true);
    }
  }, 60_000);
});
