/**
 * create-mlops — what `npm create mlops` runs: `mlops init` of @mlops/core under another name. The
 * templates, the prompts and the checks are core's (one definition for both commands); this
 * package only gives npm the `create-mlops` bin it looks for.
 *
 * @packageDocumentation
 */
import { type CliIO, main } from '@mlops/core';

/**
 * Creates a project from `create-mlops` arguments (`[dir] [--template …] [--ci …] [--gcp]
 * [--bucket …] [--name …] [--yes] [--force] [--json]`, the same as `mlops init`) and returns the
 * exit code: 0 when the project was written, 2 for arguments that do not fit (an unknown template,
 * a folder that is not empty without `--force`), 1 when the work failed.
 */
export async function createMlops(argv: readonly string[], io?: CliIO): Promise<number> {
  // `--json` is a global option of `mlops`: it goes before the command word.
  const json = argv.filter((arg) => arg === '--json');
  const rest = argv.filter((arg) => arg !== '--json');
  return main([...json, 'init', ...rest], io);
}
