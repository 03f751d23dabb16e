/**
 * `mlops sweep`: runs (or resumes) the config's `sweep` section, trials locally one after another
 * or, with `--remote <target>`, where a plugin runs them (`vertex`: Vertex AI custom jobs in
 * parallel). Prints the trials, the best one and the report's path.
 */
import { type Command, CommanderError, Option } from 'commander';
import { ConsoleLogger } from '../logging/console-logger.js';
import { sweep } from '../sweep/run-sweep.js';
import { formatValueForTable, sweepTable } from './sweep-format.js';

/** Where the command writes (the CLI's `CliIO`). */
interface SweepIO {
  out(text: string): void;
  err(text: string): void;
}

/** Global options the command reads. */
interface SweepGlobals {
  config?: string;
  set?: string[];
  json?: boolean;
  lenient?: boolean;
}

const positiveInt = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CommanderError(2, 'mlops.sweep', `${flag} expects a positive integer, got "${value}"`);
  return n;
};

/** Adds `mlops sweep` to the program. */
export function addSweepCommand(program: Command, io: SweepIO): void {
  program
    .command('sweep')
    .description(
      "search hyperparameters as the config's `sweep` says (grid, random, tpe; ASHA early stopping); each trial is a recorded run; rerun to resume",
    )
    .addOption(new Option('--remote <target>', 'run trials where a plugin runs them (e.g. vertex)'))
    .addOption(
      new Option('--max-trials <n>', 'trials in all (overrides sweep.maxTrials)').argParser(
        positiveInt('--max-trials'),
      ),
    )
    .addOption(
      new Option(
        '--concurrency <n>',
        'trials at once (overrides sweep.concurrency; local runs one)',
      ).argParser(positiveInt('--concurrency')),
    )
    .option('--fresh', 'start a new sweep even when one with this config exists (default: resume it)')
    .action(
      async (
        opts: { remote?: string; maxTrials?: number; concurrency?: number; fresh?: boolean },
        cmd: Command,
      ) => {
        const g = cmd.optsWithGlobals<SweepGlobals>();
        const result = await sweep({
          ...(g.config ? { config: g.config } : {}),
          ...(g.set ? { set: g.set } : {}),
          ...(g.lenient ? { lenient: true } : {}),
          ...(opts.remote ? { executor: opts.remote } : {}),
          ...(opts.maxTrials ? { maxTrials: opts.maxTrials } : {}),
          ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
          ...(opts.fresh ? { fresh: true } : {}),
          logger: new ConsoleLogger({ stream: { write: (line: string) => io.err(line.replace(/\n$/, '')) } }),
        });
        if (g.json) {
          io.out(
            JSON.stringify({ ...result.sweep, report: result.report, best: result.best ?? null }, null, 2),
          );
          return;
        }
        const { best } = result;
        const lines = [
          `sweep ${result.sweep.id} ${result.sweep.status}: ${result.sweep.trials.length} trials (${result.ran} run now)`,
          sweepTable(result.sweep),
        ];
        if (best)
          lines.push(
            `best: trial ${best.index}, ${result.sweep.spec.metric.name} ${formatValueForTable(best.value)}, run ${best.runId ?? '-'}: ${best.overrides.map((o) => `--set ${o}`).join(' ')}`,
          );
        lines.push(`report: ${result.report}`);
        io.out(lines.join('\n'));
      },
    );
}
