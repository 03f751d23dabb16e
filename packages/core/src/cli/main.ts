import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { dataAddCommand, dataCheckoutCommand, dataStatusCommand } from '../api/data.js';
import { importCheckpoint, listModels, promoteModel, showModel } from '../api/registry.js';
import { run } from '../api/run.js';
import { compareRuns, listRuns, showRun } from '../api/runs.js';
import { loadConfig } from '../config/load-config.js';
import type { ResolvedConfig } from '../config/types.js';
import { isMlopsError, MlopsError } from '../errors.js';
import { interruptingSignal, signalExitCode } from '../pipeline/interrupt.js';
import { DEFAULT_STAGES, Pipeline } from '../pipeline/pipeline.js';
import { evaluationPrefix } from '../pipeline/run-explanations.js';
import { STAGES, type StageName } from '../pipeline/stage-outputs.js';
import type { PluginApi, PluginCommand } from '../plugin/plugin.js';
import { isServeSession } from '../runs/run-liveness.js';
import { RemoteRunner, type RemoteRunRequest } from '../services/remote-runner.js';
import { CORE_VERSION } from '../version.js';
import { formatComparison, metric, table } from './format.js';
import { addInitCommand } from './init-command.js';
import { formatVersionArtifacts } from './registry-format.js';
import { addSweepCommand } from './sweep-command.js';

/** Where the CLI writes; injectable for tests. */
export interface CliIO {
  /** Normal output (results, tables, JSON). */
  out(text: string): void;
  /** Diagnostics. */
  err(text: string): void;
}

const defaultIO: CliIO = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

interface GlobalOptions {
  config?: string;
  store?: string;
  set?: string[];
  json?: boolean;
  lenient?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseStages(names: string[]): StageName[] {
  for (const name of names) {
    if (!STAGES.includes(name as StageName)) {
      throw new CommanderError(2, 'mlops.stage', `unknown stage "${name}" (stages: ${STAGES.join(', ')})`);
    }
  }
  return names as StageName[];
}

/** Options of `run`, `train`, `evaluate`, `export`. */
interface RunFlags {
  force?: boolean | string;
  resume?: string | boolean;
  remote?: string;
  remoteOption?: string[];
  dryRun?: boolean;
}

function remoteOption(): Option {
  return new Option('--remote <target>', 'run on a remote target a plugin provides (e.g. vertex)');
}

/** `key=value` pairs of `--remote-option`. */
function parseRemoteOptions(pairs: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new CommanderError(2, 'mlops.remote', `--remote-option expects key=value, got "${pair}"`);
    }
    options[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return options;
}

/** Finds the plugin's {@link RemoteRunner} for `target` and submits the request to it. */
async function submitRemote(
  target: string,
  request: RemoteRunRequest & { config?: string; lenient?: boolean; io: CliIO },
): Promise<unknown> {
  const loaded = await loadConfig({
    ...(request.config ? { configFile: request.config } : {}),
    overrides: request.set,
    ...(request.lenient ? { lenient: true } : {}),
  });
  for (const warning of loaded.warnings)
    request.io.err(`warning: ${warning.file}: ${warning.path}: ${warning.message}`);
  const pipeline = await Pipeline.create({ config: loaded.config });
  const runners = pipeline.container.isRegistered(RemoteRunner, true)
    ? pipeline.container.resolveAll(RemoteRunner)
    : [];
  const runner = runners.find((r) => r.target === target);
  if (!runner) {
    throw new MlopsError('MLOPS_ERR_SERVICE_MISSING', `no plugin provides the remote target "${target}"`, {
      hint: runners.length
        ? `targets: ${runners.map((r) => `${r.target} (${r.description})`).join(', ')}`
        : 'add a plugin that provides remote runs, e.g. gcp() from @mlops/plugin-gcp for --remote vertex',
    });
  }
  return runner.submit(
    {
      stages: request.stages,
      dryRun: request.dryRun,
      options: request.options,
      force: request.force,
      set: request.set,
    },
    commandApi(pipeline, request.io),
  );
}

/** The {@link PluginApi} a plugin command or remote runner receives from the CLI. */
function commandApi(pipeline: Pipeline, io: CliIO): PluginApi {
  return {
    hooks: pipeline.hooks,
    container: pipeline.container,
    config: pipeline.config,
    logger: {
      debug() {},
      info: (m) => io.err(m),
      warn: (m) => io.err(`warning: ${m}`),
      error: (m) => io.err(m),
      child() {
        return this;
      },
    },
    provide: () => undefined,
    command: () => undefined,
  };
}

/** Builds the `mlops` command tree. */
export function createCli(io: CliIO = defaultIO): Command {
  const program = new Command('mlops')
    .description('Image classifiers from raw images to a served, monitored model.')
    .version(CORE_VERSION)
    .option('-c, --config <file>', 'config file (default: mlops.config.ts in the current directory)')
    .option('--store <dir>', 'store directory (default: store.path from the config, else .mlops)')
    .option('--set <key=value>', 'override a config value, e.g. --set train.lr=0.002 (repeatable)', collect)
    .option('--json', 'print machine-readable JSON')
    .option('--lenient', 'unknown config keys are warnings (and ignored) instead of errors')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();
  const print = (cmd: Command, value: unknown, human: () => string) =>
    io.out(globals(cmd).json ? JSON.stringify(value, null, 2) : human());

  const runAction =
    (fixed?: StageName) => async (stageNames: string[] | undefined, opts: RunFlags, cmd: Command) => {
      const g = globals(cmd);
      const stages = fixed ? [fixed] : parseStages(stageNames ?? []);
      const force = typeof opts.force === 'string' ? parseStages(opts.force.split(',')) : opts.force;
      if (opts.remote) {
        const submitted = await submitRemote(opts.remote, {
          ...(g.config ? { config: g.config } : {}),
          set: g.set ?? [],
          ...(g.lenient ? { lenient: true } : {}),
          stages: stages.length ? stages : [...DEFAULT_STAGES],
          dryRun: opts.dryRun === true,
          force: force !== undefined && force !== false,
          options: parseRemoteOptions(opts.remoteOption ?? []),
          io,
        });
        print(cmd, submitted, () =>
          typeof submitted === 'string' ? submitted : JSON.stringify(submitted, null, 2),
        );
        return;
      }
      if (opts.dryRun || opts.remoteOption?.length) {
        throw new CommanderError(2, 'mlops.remote', '--dry-run and --remote-option need --remote <target>');
      }
      const result = await run({
        ...(g.config ? { config: g.config } : {}),
        ...(g.set ? { set: g.set } : {}),
        ...(g.store ? { store: g.store } : {}),
        ...(g.lenient ? { lenient: true } : {}),
        ...(stages.length ? { stages } : {}),
        ...(force !== undefined ? { force } : {}),
        ...(opts.resume ? { resume: opts.resume === true ? 'latest' : opts.resume } : {}),
      });
      print(cmd, result, () => {
        if (result.alreadySucceeded) {
          return [
            `run ${result.run.id} already succeeded: nothing to resume`,
            `report: ${join(result.dir, 'report.html')}`,
          ].join('\n');
        }
        const lines = [`run ${result.run.id} ${result.run.status}`];
        lines.push(
          table(
            ['stage', 'status', 'time'],
            result.stages.map((s) => [s.stage, s.status, `${(s.durationMs / 1000).toFixed(1)}s`]),
          ),
        );
        for (const [stage, record] of Object.entries(result.run.stages)) {
          for (const note of record.notes ?? []) lines.push(`note: ${stage}: ${note}`);
        }
        const evaluation = result.outputs.evaluate;
        if (evaluation) {
          // Named by the split evaluation used: `validation:` when the data had no test split.
          const split = evaluationPrefix(evaluation.split, result.run.config as unknown as ResolvedConfig);
          lines.push(
            `${split}: ${Object.entries(evaluation.metrics)
              .filter(([k]) => !k.includes('/'))
              .map(([k, v]) => `${k} ${metric(v)}`)
              .join('  ')}`,
          );
        }
        const registered = result.outputs.export?.registered;
        if (registered)
          lines.push(
            `registered ${registered.model} v${registered.version} [${registered.aliases.join(', ')}]`,
          );
        lines.push(`report: ${join(result.dir, 'report.html')}`);
        return lines.join('\n');
      });
    };

  program
    .command('run')
    .description(
      `run the lifecycle up to the last stage named (${STAGES.join(' → ')}); unchanged stages are cached`,
    )
    .argument('[stages...]', 'stages to run (default: data model train evaluate export)')
    .option('-f, --force [stages]', 'rerun cached stages (all, or a comma-separated list)')
    .option('--resume [runId]', 'continue an interrupted run (default: latest)')
    .addOption(remoteOption())
    .option('--remote-option <key=value>', 'a setting of the remote target (repeatable)', collect)
    .option('--dry-run', 'with --remote: print the request, send nothing')
    .action(runAction());
  for (const stage of ['train', 'evaluate', 'export'] as const) {
    program
      .command(stage)
      .description(`run the lifecycle up to ${stage} (shortcut for \`mlops run ${stage}\`)`)
      .option('-f, --force [stages]', 'rerun cached stages')
      .option('--resume [runId]', 'continue an interrupted run')
      .addOption(remoteOption())
      .option('--remote-option <key=value>', 'a setting of the remote target (repeatable)', collect)
      .option('--dry-run', 'with --remote: print the request, send nothing')
      .action((opts, cmd) => runAction(stage)(undefined, opts, cmd));
  }

  const runs = program.command('runs').description('inspect recorded runs');
  runs
    .command('list')
    .description('list runs, newest first')
    .addOption(
      new Option('-n, --limit <n>', 'how many').default('20').argParser((v) => Number.parseInt(v, 10)),
    )
    .action(async (opts: { limit: number }, cmd: Command) => {
      const list = await listRuns({ ...globals(cmd), limit: opts.limit });
      print(cmd, list, () =>
        list.length
          ? table(
              ['id', 'status', 'started', 'duration', 'data', 'top1'],
              list.map((r) => [
                r.id,
                isServeSession(r) ? `${r.status} (serve)` : r.status,
                r.startedAt.replace('T', ' ').slice(0, 19),
                r.durationMs ? `${Math.round(r.durationMs / 1000)}s` : '-',
                r.dataVersion?.slice(0, 10) ?? '-',
                metric(
                  (r.stages.evaluate?.output as { metrics?: Record<string, number> } | undefined)?.metrics
                    ?.top1,
                ),
              ]),
            )
          : 'no runs yet: mlops run',
      );
    });
  runs
    .command('show')
    .description('show one run')
    .argument('<id>', 'run id or "latest"')
    .action(async (id: string, _opts, cmd: Command) => {
      const record = await showRun(id, globals(cmd));
      print(cmd, record, () =>
        [
          `run ${record.id} (${record.project}) ${record.status}`,
          `started ${record.startedAt}${record.durationMs ? `, ${Math.round(record.durationMs / 1000)}s` : ''}`,
          `data ${record.dataVersion ?? '-'}  git ${record.git ? `${record.git.sha.slice(0, 10)}${record.git.dirty ? '-dirty' : ''}` : '-'}  backend ${record.backend ?? '-'}`,
          table(
            ['stage', 'status', 'time', 'cache key'],
            Object.entries(record.stages).map(([stage, s]) => [
              stage,
              s.status,
              `${((s.durationMs ?? 0) / 1000).toFixed(1)}s`,
              s.cacheKey?.slice(0, 12) ?? '-',
            ]),
          ),
          ...(record.error
            ? [`${record.status === 'pruned' ? 'stopped' : 'error'}: ${record.error.message}`]
            : []),
        ].join('\n'),
      );
    });
  runs
    .command('compare')
    .description('compare two runs: config, metrics, data and code')
    .argument('<a>', 'run id or "latest"')
    .argument('<b>', 'run id')
    .action(async (a: string, b: string, _opts, cmd: Command) => {
      const comparison = await compareRuns(a, b, { ...globals(cmd), includeUnchanged: true });
      print(cmd, comparison, () => formatComparison(comparison));
    });

  const registry = program.command('registry').description('models, versions and aliases');
  registry
    .command('list')
    .description('list models and their aliases')
    .action(async (_opts, cmd: Command) => {
      const models = await listModels(globals(cmd));
      print(cmd, models, () =>
        models.length
          ? table(
              ['model', 'versions', 'aliases'],
              models.map((m) => [
                m.name,
                m.versions,
                Object.entries(m.aliases)
                  .map(([a, v]) => `${a}=v${v}`)
                  .join(' '),
              ]),
            )
          : 'no models registered yet',
      );
    });
  registry
    .command('show')
    .description('versions, metrics and alias history of a model')
    .argument('<model>', 'model name')
    .action(async (model: string, _opts, cmd: Command) => {
      const shown = await showModel(model, globals(cmd));
      print(cmd, shown, () =>
        [
          table(
            ['version', 'created', 'top1', 'run', 'aliases'],
            shown.versions.map((v) => [
              `v${v.version}`,
              v.createdAt.slice(0, 19),
              metric(v.metrics.top1),
              v.lineage.runId ?? '-',
              v.aliases.join(' '),
            ]),
          ),
          // Each version's artifacts: size, and latency and accuracy where export.budget measured them.
          ...shown.versions.map(formatVersionArtifacts).flatMap((text) => (text ? ['', text] : [])),
          '',
          ...shown.history.map(
            (h) =>
              `${h.at}  ${h.alias}: ${h.from ?? '-'} → ${h.to ?? '-'}${h.forced ? ' (forced)' : ''}${h.actor ? `  by ${h.actor}` : ''}`,
          ),
        ].join('\n'),
      );
    });
  registry
    .command('promote')
    .description(
      'point an alias (e.g. production) at a version; refused when worse than the current holder unless --force',
    )
    .argument('<model>', 'model name')
    .argument('<version>', 'version number (e.g. 3 or v3)')
    .argument('<alias>', 'alias, e.g. production')
    .option('--force', 'promote even if the evaluation gate refuses')
    .option('--reason <text>', 'recorded in the history')
    .action(
      async (
        model: string,
        version: string,
        alias: string,
        opts: { force?: boolean; reason?: string },
        cmd: Command,
      ) => {
        const number = Number.parseInt(version.replace(/^v/, ''), 10);
        if (!Number.isInteger(number) || number < 1)
          throw new CommanderError(2, 'mlops.version', `invalid version "${version}"`);
        const move = await promoteModel(model, number, alias, { ...globals(cmd), ...opts });
        print(
          cmd,
          move,
          () => `${model}@${alias}: ${move.from === null ? '-' : `v${move.from}`} → v${move.to}`,
        );
      },
    );

  registry
    .command('import')
    .description(
      'register a pretrained checkpoint (timm model.safetensors + config.json, its folder, or hf-hub:<repo>) as a new version, untrained, ready to serve',
    )
    .argument('<checkpoint>', 'a path, or hf-hub:<org>/<name>[@revision]')
    .option('--model <name>', 'registry model (default: registry.model of the config)')
    .option('--alias <alias>', 'point this alias at the new version, e.g. production')
    .action(async (checkpoint: string, opts: { model?: string; alias?: string }, cmd: Command) => {
      const imported = await importCheckpoint(checkpoint, { ...globals(cmd), ...opts });
      print(
        cmd,
        imported,
        () =>
          `registered ${imported.model} v${imported.version} from ${checkpoint} (${imported.architecture}, ${imported.labels.length} classes${imported.aliases.length ? `; aliases: ${imported.aliases.join(', ')}` : ''}) in run ${imported.runId}`,
      );
    });

  const data = program
    .command('data')
    .description('data versions: manifests committed to git, blobs in the store');
  data
    .command('add')
    .description('record an ImageFolder directory as a data version (writes <dir>.mlops-data.json)')
    .argument('<dir>', 'ImageFolder root (<split>/<class>/<image>)')
    .option('--class-map <file>', 'JSON/YAML file mapping label → folder names')
    .option('-o, --output <file>', 'manifest path')
    .action(async (dir: string, opts: { classMap?: string; output?: string }, cmd: Command) => {
      const result = await dataAddCommand(dir, { ...globals(cmd), ...opts });
      print(
        cmd,
        result,
        () => `data version ${result.version} (${result.files} files) → ${result.manifestPath}`,
      );
    });
  data
    .command('status')
    .description('what changed in a directory since its manifest')
    .argument('<dir>', 'ImageFolder root')
    .option('-m, --manifest <file>', 'manifest path (default <dir>.mlops-data.json)')
    .action(async (dir: string, opts: { manifest?: string }, cmd: Command) => {
      const diff = await dataStatusCommand(dir, { ...globals(cmd), ...opts });
      print(cmd, diff, () =>
        diff.added.length + diff.removed.length + diff.modified.length === 0
          ? 'up to date'
          : [
              ...diff.added.map((p) => `added     ${p}`),
              ...diff.removed.map((p) => `removed   ${p}`),
              ...diff.modified.map((p) => `modified  ${p}`),
            ].join('\n'),
      );
    });
  data
    .command('checkout')
    .description('restore a directory from a data manifest and the store')
    .argument('<manifest>', 'a .mlops-data.json file')
    .argument('[dest]', 'destination (default: the manifest name without .mlops-data.json)')
    .option('--force', 'replace the destination even if it holds files not in the store')
    .action(async (manifest: string, dest: string | undefined, opts: { force?: boolean }, cmd: Command) => {
      const restored = await dataCheckoutCommand(manifest, dest, { ...globals(cmd), ...opts });
      print(cmd, restored, () => `restored ${restored.files} files to ${restored.dir}`);
    });

  program
    .command('serve')
    .description('serve registered models over HTTP (needs @mlops/server)')
    .option('--port <port>', 'port')
    .option('--host <host>', 'host')
    .option('--model <name>', 'registry model to serve')
    .option('--alias <alias>', 'alias this server is for: /readyz and /v1 default (default production)')
    .action(async (opts: { port?: string; host?: string; model?: string; alias?: string }, cmd: Command) => {
      const set = [...(globals(cmd).set ?? [])];
      if (opts.port) set.push(`serve.port=${opts.port}`);
      if (opts.host) set.push(`serve.host=${opts.host}`);
      if (opts.model) set.push(`serve.model=${opts.model}`);
      if (opts.alias) set.push(`serve.alias=${opts.alias}`);
      await run({ ...globals(cmd), set, stages: ['serve'] });
    });
  addInitCommand(program, io);
  addSweepCommand(program, io);
  return program;
}

/**
 * Mounts a plugin's command on `program`, without its action: the words of its name before the
 * first `<arg>`/`[arg]` are (sub)command names (`data push <remote>` under the `data` group).
 */
export function addPluginCommand(program: Command, command: PluginCommand): Command {
  const words = command.name.split(' ');
  let parent = program;
  while (words.length > 1 && !/^[<[]/.test(words[1] ?? '')) {
    const word = words.shift() as string;
    parent = parent.commands.find((c) => c.name() === word) ?? parent.command(word);
  }
  const sub = parent.command(words.join(' ')).description(command.description);
  for (const [flags, description] of command.options ?? []) sub.option(flags, description);
  return sub;
}

/** Adds commands contributed by the config's plugins (loaded lazily: only when the config exists). */
async function withPluginCommands(program: Command, argv: string[], io: CliIO): Promise<void> {
  const { command: first, next, config } = firstCommandWord(argv);
  if (!first || first === 'help') return;
  // A built-in group (`data`) may gain plugin subcommands (`data push`): load plugins only when the
  // word after it is not one of its own subcommands, so built-in commands never pay for a config load.
  const builtIn = program.commands.find((c) => c.name() === first);
  if (builtIn && (!next || builtIn.commands.length === 0 || builtIn.commands.some((c) => c.name() === next)))
    return;
  let loaded: Awaited<ReturnType<typeof loadConfig>>;
  try {
    loaded = await loadConfig({
      ...(config ? { configFile: config } : {}),
      ...(argv.includes('--lenient') ? { lenient: true } : {}),
    });
  } catch (error) {
    // Without a project there are no plugin commands: commander reports the unknown command.
    if (isMlopsError(error, 'MLOPS_ERR_CONFIG_NOT_FOUND') && !config) return;
    throw error;
  }
  const pipeline = await Pipeline.create({ config: loaded.config });
  for (const command of pipeline.commands) {
    addPluginCommand(program, command).action(async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const options = args[args.length - 2] as Record<string, unknown>;
      const positional = args
        .slice(0, -2)
        .flat()
        .filter((a): a is string => typeof a === 'string');
      // Global options (`--json`, `--config`) are visible to the command next to its own.
      const result = await command.action(
        positional,
        { ...cmd.optsWithGlobals(), ...options },
        commandApi(pipeline, io),
      );
      if (result !== undefined)
        io.out(
          cmd.optsWithGlobals<GlobalOptions>().json
            ? JSON.stringify(result, null, 2)
            : String(typeof result === 'string' ? result : JSON.stringify(result, null, 2)),
        );
    });
  }
}

/** Global options that take a value: their value is not a command word. */
const VALUE_OPTIONS = new Set(['-c', '--config', '--store', '--set']);

/** The first command word of `argv` and the `--config` value, skipping global options. */
function firstCommandWord(argv: string[]): { command?: string; next?: string; config?: string } {
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (VALUE_OPTIONS.has(arg)) {
      if (arg === '-c' || arg === '--config') config = argv[i + 1];
      i += 1;
    } else if (arg.startsWith('--config=')) {
      config = arg.slice('--config='.length);
    } else if (!arg.startsWith('-')) {
      const next = argv[i + 1];
      return {
        command: arg,
        ...(next !== undefined && !next.startsWith('-') ? { next } : {}),
        ...(config ? { config } : {}),
      };
    }
  }
  return config ? { config } : {};
}

/**
 * Runs the CLI and returns the exit code: 0 on success, 1 when the work failed (one line naming the
 * cause, and a hint), 2 for usage errors, 130 / 143 when Ctrl-C / SIGTERM interrupted a run or a
 * sweep (the hint says how to resume it).
 */
export async function main(argv: string[] = process.argv.slice(2), io: CliIO = defaultIO): Promise<number> {
  const program = createCli(io);
  try {
    await withPluginCommands(program, argv, io);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      )
        return 0;
      if (error.code.startsWith('mlops.')) io.err(`mlops: ${error.message}`);
      return error.exitCode === 1 ? 2 : error.exitCode;
    }
    if (isMlopsError(error)) {
      io.err(`mlops: ${error.message}`);
      if (error.hint) io.err(`hint: ${error.hint}`);
      if (error.code === 'MLOPS_ERR_USAGE') return 2;
      // Stopped by Ctrl-C or SIGTERM (and recorded as resumable): 128 + the signal, as shells and
      // schedulers expect of a process a signal ended.
      const signal = error.code === 'MLOPS_ERR_RUN_INTERRUPTED' ? interruptingSignal(error) : undefined;
      return signal ? signalExitCode(signal) : 1;
    }
    io.err(`mlops: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.MLOPS_DEBUG && error instanceof Error && error.stack) io.err(error.stack);
    return 1;
  }
}
