/**
 * `mlops init [dir]` (and `npm create mlops`, whose bin runs it): a new project folder from the
 * templates in `../scaffold/`. Flags answer the questions; on a terminal, what they leave out is
 * asked; with `--yes` (or without a terminal) the defaults apply.
 */
import { basename, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { MlopsError } from '../errors.js';
import { initProject } from '../scaffold/init-project.js';
import {
  projectNameFrom,
  resolveScaffoldOptions,
  type ScaffoldCi,
  type ScaffoldOptions,
  type ScaffoldTemplate,
} from '../scaffold/options.js';
import { type PromptStreams, promptScaffoldOptions } from '../scaffold/prompts.js';
import type { WriteProjectResult } from '../scaffold/write-project.js';
import type { CliIO } from './main.js';

/** Flags of `mlops init`. */
export interface InitFlags {
  /** Project name. Default: the folder's name. */
  name?: string;
  /** Data template. */
  template?: string;
  /** CI provider. */
  ci?: string;
  /** Google Cloud on (`--gcp`) or off (`--no-gcp`); undefined when neither was given. */
  gcp?: boolean;
  /** Bucket for `store.remote`. */
  bucket?: string;
  /** Ask nothing. */
  yes?: boolean;
  /** Write into a folder that is not empty. */
  force?: boolean;
  /** Print the result as JSON. */
  json?: boolean;
}

/** Where `mlops init` asks its questions; `interactive: false` never asks. */
export interface InitPrompting extends PromptStreams {
  /** Whether to ask at all (default: stdin and stdout are terminals). */
  interactive: boolean;
}

/** Answers to Enter (and to `--yes`). */
const DEFAULTS = { name: 'my-classifier', template: 'imagefolder', ci: 'github', gcp: false } as const;

/** The project's name, defaulting to the folder's (`.` is the current folder). */
function nameFor(dir: string | undefined): string {
  return (dir && projectNameFrom(basename(resolve(dir)))) || DEFAULTS.name;
}

/**
 * Runs `mlops init`: works out the options (flags, then questions, then defaults), writes the
 * project and prints what to do next. Returns what was written.
 */
export async function runInit(
  dir: string | undefined,
  flags: InitFlags,
  io: CliIO,
  prompting: InitPrompting = {
    input: process.stdin,
    output: process.stdout,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  },
): Promise<WriteProjectResult> {
  const given: Partial<ScaffoldOptions> = {
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.template !== undefined ? { template: flags.template as ScaffoldTemplate } : {}),
    ...(flags.ci !== undefined ? { ci: flags.ci as ScaffoldCi } : {}),
    ...(flags.gcp !== undefined ? { gcp: flags.gcp } : {}),
    ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
  };
  // --bucket implies Google Cloud.
  if (given.bucket !== undefined) {
    if (given.gcp === false) {
      throw new MlopsError('MLOPS_ERR_USAGE', '--bucket only applies to a project with Google Cloud', {
        hint: 'Leave out --no-gcp, or --bucket.',
      });
    }
    given.gcp = true;
  }
  const defaults: ScaffoldOptions = { ...DEFAULTS, name: given.name ?? nameFor(dir) };
  // The folder answers the name question; the other three need a flag or an answer.
  const complete = given.template !== undefined && given.ci !== undefined && given.gcp !== undefined;
  const asked =
    prompting.interactive && !flags.yes && !flags.json && !complete
      ? await promptScaffoldOptions(given, defaults, prompting)
      : { ...defaults, ...given };
  const options = resolveScaffoldOptions(asked);
  const target = dir ?? options.name;
  const result = await initProject(target, options, { force: flags.force === true });
  if (flags.json) {
    io.out(JSON.stringify({ ...result, options }, null, 2));
    return result;
  }
  const where = relative(process.cwd(), result.dir) || '.';
  const features = [
    options.template,
    ...(options.ci === 'github' ? ['GitHub workflows'] : []),
    ...(options.gcp ? [`Google Cloud (${options.bucket})`] : []),
  ];
  const lines = [`created ${options.name} in ${where}: ${features.join(', ')}; ${result.files.length} files`];
  if (result.replaced.length) lines.push(`replaced: ${result.replaced.join(', ')}`);
  lines.push('', 'next:');
  if (where !== '.') lines.push(`  cd ${where.includes(' ') ? JSON.stringify(where) : where}`);
  lines.push('  npm install');
  if (options.template === 'imagefolder') {
    lines.push(
      '  # add images to data/train/<class>/, data/validation/<class>/, data/test/<class>/ (see data/README.md)',
      '  npx mlops data add data',
    );
  }
  lines.push('  npx mlops run', '  npx mlops serve');
  io.out(lines.join('\n'));
  return result;
}

/** Adds `init` to the `mlops` program. */
export function addInitCommand(program: Command, io: CliIO): void {
  program
    .command('init')
    .description(
      'create a new project: mlops.config.ts, data/, package.json, .gitignore, README, CI workflows',
    )
    .argument('[dir]', 'folder to create (default: the project name)')
    .option('--name <name>', 'project name (default: the folder name)')
    .option('-t, --template <template>', 'data: imagefolder (your images), fashion-mnist or mnist')
    .option('--ci <provider>', 'CI workflows: github or none (default github)')
    .option('--gcp', 'Google Cloud: data and models in a bucket, Cloud Run deploys on a release tag')
    .option('--no-gcp', 'no Google Cloud (the default)')
    .option(
      '--bucket <url>',
      'the bucket for --gcp, gs://<bucket>[/<prefix>] (default gs://<name>-mlops/mlops)',
    )
    .option('-y, --yes', 'ask nothing: defaults for whatever the flags leave out')
    .option('--force', 'write into a folder that is not empty (same-named files are replaced)')
    .action(async (dir: string | undefined, flags: InitFlags, cmd: Command) => {
      await runInit(dir, { ...flags, json: cmd.optsWithGlobals<{ json?: boolean }>().json === true }, io);
    });
}
