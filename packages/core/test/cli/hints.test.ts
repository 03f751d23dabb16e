/**
 * Every hint the CLI prints that names an `mlops` command names one that runs: statically, every
 * `hint` in core's and the server's sources is parsed against the command tree (commands, their
 * arguments and options); dynamically, the hints of the errors users meet most are run as printed.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCli } from '../../src/cli/main.js';
import { resolveUserConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/logging/silent-logger.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { LocalModelRegistry } from '../../src/registry/local-model-registry.js';
import { countingEnginePlugin } from '../pipeline/test-plugin.js';
import { makeTempDir } from '../store/spawn-ts.js';
import { captureIO, cli } from './cli-harness.js';

const packages = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Commands plugins add (checked against their sources below), with their arguments. */
const PLUGIN_COMMANDS: Record<string, { package: string; args: string }> = {
  'data pull': { package: 'plugin-gcp', args: '[manifest]' },
  'data push': { package: 'plugin-gcp', args: '[manifest]' },
  loadtest: { package: 'server', args: '<url>' },
};

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** The text of every `hint:` property, template placeholders replaced by `X`. */
function hintTexts(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const hints: string[] = [];
  const textOf = (node: ts.Node): string => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
    if (ts.isTemplateExpression(node)) {
      return node.head.text + node.templateSpans.map((span) => `X${span.literal.text}`).join('');
    }
    if (ts.isConditionalExpression(node)) return `${textOf(node.whenTrue)} | ${textOf(node.whenFalse)}`;
    if (ts.isBinaryExpression(node)) return `${textOf(node.left)} ${textOf(node.right)}`;
    if (ts.isParenthesizedExpression(node)) return textOf(node.expression);
    return 'X';
  };
  const visit = (node: ts.Node) => {
    if (ts.isPropertyAssignment(node) && node.name.getText(source) === 'hint')
      hints.push(textOf(node.initializer));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return hints;
}

/** `mlops …` command lines in a hint. */
function commandsIn(hint: string): string[] {
  const found: string[] = [];
  for (const match of hint.matchAll(/mlops((?: [^\s`'";,()|]+)+)/g)) {
    const words = (match[1] ?? '').trim().split(' ');
    // Prose about the program (`another mlops command`) is not a command line.
    if (words[0] === 'command' || words[0] === 'commands') continue;
    // A sentence may go on after the command: stop at the first word ending in a full stop.
    const end = words.findIndex((w) => /\.$/.test(w) && !/^[\w./-]*\.[a-z]+$/.test(w.slice(0, -1)));
    found.push((end >= 0 ? [...words.slice(0, end), words[end]!.slice(0, -1)] : words).join(' '));
  }
  return found;
}

/** Checks a command line against the command tree; returns what is wrong, or undefined. */
function problemOf(program: Command, line: string): string | undefined {
  const tokens = line
    .split(' ')
    .filter(Boolean)
    .map((t) => (/^<.*>$/.test(t) || t === 'X' || t.includes('X') ? 'x' : t));
  if (tokens[0] === '--help') return undefined;
  let command = program;
  let i = 0;
  for (; i < tokens.length; i++) {
    const next = command.commands.find((c) => c.name() === tokens[i]);
    if (!next) break;
    command = next;
  }
  const words = program.commands.includes(command) || command !== program ? tokens.slice(0, i).join(' ') : '';
  const plugin = Object.entries(PLUGIN_COMMANDS).find(
    ([name]) => tokens.slice(0, name.split(' ').length).join(' ') === name,
  );
  let required: number;
  let optional: number;
  let variadic = false;
  let rest: string[];
  const known = new Set<string>(['--help', '--json', '--config', '-c', '--store', '--set', '--lenient']);
  if (plugin) {
    const [name, spec] = plugin;
    rest = tokens.slice(name.split(' ').length);
    required = (spec.args.match(/<[^>]+>/g) ?? []).length;
    optional = (spec.args.match(/\[[^\]]+\]/g) ?? []).length;
  } else {
    if (command === program) return `"${tokens[0]}" is not an mlops command`;
    rest = tokens.slice(i);
    const args = command.registeredArguments;
    required = args.filter((a) => a.required).length;
    optional = args.length - required;
    variadic = args.some((a) => a.variadic);
    for (let c: Command | null = command; c; c = c.parent)
      for (const o of c.options) {
        if (o.long) known.add(o.long);
        if (o.short) known.add(o.short);
      }
  }
  const options = (plugin ? [] : [command, ...ancestors(command)]).flatMap((c) => c.options);
  const positional: string[] = [];
  for (let j = 0; j < rest.length; j++) {
    const token = rest[j]!;
    if (!token.startsWith('-')) {
      positional.push(token);
      continue;
    }
    const flag = token.split('=')[0]!;
    if (!known.has(flag)) return `${words || tokens[0]}: unknown option ${flag}`;
    const option = options.find((o) => o.long === flag || o.short === flag);
    const takesValue = option ? option.required : ['--config', '-c', '--store', '--set'].includes(flag);
    if (takesValue && !token.includes('=')) j++;
  }
  if (positional.length < required)
    return `${words}: needs ${required} argument(s), the hint gives ${positional.length}`;
  if (!variadic && positional.length > required + optional) {
    return `${words}: takes at most ${required + optional} argument(s), the hint gives ${positional.length}`;
  }
  return undefined;
}

function ancestors(command: Command): Command[] {
  const out: Command[] = [];
  for (let c = command.parent; c; c = c.parent) out.push(c);
  return out;
}

/** The `mlops …` command of an error's hint line, as arguments. */
function hintCommand(stderr: string): string[] {
  const hint = stderr.split('\n').find((line) => line.startsWith('hint: '));
  const [command] = commandsIn(hint ?? '');
  expect(command, stderr).toBeDefined();
  return (command as string).split(' ');
}

describe('CLI hints', () => {
  it('name commands that exist, with arguments and options they take', async () => {
    const program = createCli(captureIO());
    const checked: string[] = [];
    const problems: string[] = [];
    for (const dir of [join(packages, 'core', 'src'), join(packages, 'server', 'src')]) {
      for (const file of await sourceFiles(dir)) {
        for (const hint of hintTexts(file, await readFile(file, 'utf8'))) {
          for (const command of commandsIn(hint)) {
            checked.push(command);
            const problem = problemOf(program, command);
            if (problem) problems.push(`${file.slice(packages.length + 1)}: "mlops ${command}": ${problem}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toEqual(expect.arrayContaining(['registry show X', 'run --resume X']));
    expect(checked.length).toBeGreaterThan(15);
    // The plugin commands hints name are the plugins' own.
    for (const [name, { package: pkg, args }] of Object.entries(PLUGIN_COMMANDS)) {
      const sources = await Promise.all(
        (await sourceFiles(join(packages, pkg, 'src'))).map((f) => readFile(f, 'utf8')),
      );
      expect(
        sources.some((s) => s.includes(`name: '${name} ${args}'`)),
        name,
      ).toBe(true);
    }
  });

  it('flags a hint naming a command that does not run (the checker itself)', () => {
    const program = createCli(captureIO());
    expect(problemOf(program, 'registry list demo')).toMatch(/takes at most 0 argument/);
    expect(problemOf(program, 'registri list')).toMatch(/not an mlops command/);
    expect(problemOf(program, 'run --resum x')).toMatch(/unknown option --resum/);
    expect(problemOf(program, 'registry promote demo x production --force')).toBeUndefined();
  });

  describe('as printed, they run', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ dir, cleanup } = await makeTempDir('mlops-hints-'));
    });
    afterEach(() => cleanup());

    it('a missing version: `mlops registry show <model>`', async () => {
      const registry = new LocalModelRegistry(join(dir, '.mlops'));
      await registry.register({
        model: 'demo',
        artifacts: { tfjs: { hash: 'a'.repeat(64), kind: 'dir', size: 1 } },
      });
      const store = ['--store', join(dir, '.mlops')];
      const failed = await cli([...store, 'registry', 'promote', 'demo', '99', 'production']);
      expect(failed.code).toBe(1);
      const hint = hintCommand(failed.err);
      expect(hint).toEqual(['registry', 'show', 'demo']);
      const ran = await cli([...store, ...hint]);
      expect(ran.code, ran.err).toBe(0);
      expect(ran.out).toContain('v1');
    });

    it('a gate refusal: `mlops registry promote <model> <version> <alias> --force`', async () => {
      await writeFile(
        join(dir, 'mlops.config.yaml'),
        'project: demo\nregistry:\n  gate: { metric: top1, mode: max }\n',
      );
      const registry = new LocalModelRegistry(join(dir, '.mlops'));
      const register = (c: string, labels: string[], top1: number) =>
        registry.register({
          model: 'demo',
          artifacts: { tfjs: { hash: c.repeat(64), kind: 'dir', size: 1 } },
          metrics: { top1 },
          metadata: { labels },
        });
      await register('a', ['a', 'b', 'c'], 0.9);
      await register('b', ['a', 'b', 'c', 'd', 'e'], 0.8);
      await registry.promote('demo', 1, 'production');
      const config = ['--config', join(dir, 'mlops.config.yaml')];
      const refused = await cli([...config, 'registry', 'promote', 'demo', '2', 'production']);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('they classify different classes');
      expect(refused.err).not.toContain('worse');
      const ran = await cli([...config, ...hintCommand(refused.err)]);
      expect(ran.code, ran.err).toBe(0);
      expect(ran.out).toBe('demo@production: v1 → v2');
    });

    it('an interrupted run started with --set: `mlops run --resume <id> --set …`', async () => {
      const configFile = join(dir, 'mlops.config.ts');
      const plugin = join(packages, 'core', 'test', 'pipeline', 'test-plugin.ts');
      await writeFile(
        configFile,
        `import { countingEnginePlugin } from ${JSON.stringify(plugin)};\nexport default { project: 'demo', data: { source: 'generated' }, train: { epochs: 3 }, plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 })] };\n`,
      );
      const { config } = await resolveUserConfig(
        {
          project: 'demo',
          data: { source: 'generated' },
          train: { epochs: 3 },
          plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 })],
        },
        { file: configFile, overrides: ['train.lr=0.002'] },
      );
      const pipeline = await Pipeline.create({ config, logger: silentLogger });
      const controller = new AbortController();
      pipeline.hooks.epochEnd.tap('stop', () => controller.abort(new Error('SIGINT')));
      await pipeline.run({ signal: controller.signal }).catch(() => undefined);

      const refused = await cli(['--config', configFile, 'run', '--resume']);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain('was started with another config');
      const ran = await cli(['--config', configFile, ...hintCommand(refused.err)]);
      expect(ran.code, ran.err).toBe(0);
      expect(ran.out).toMatch(/^run \S+ succeeded/);
      // Once more: it already succeeded, and says so.
      const again = await cli(['--config', configFile, ...hintCommand(refused.err)]);
      expect(again.code).toBe(0);
      expect(again.out).toMatch(/^run \S+ already succeeded: nothing to resume/);
    });
  });
});
