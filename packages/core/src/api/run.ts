import { resolve } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import type { ResolvedConfig } from '../config/types.js';
import { Pipeline, type RunResult } from '../pipeline/pipeline.js';
import type { StageName } from '../pipeline/stage-outputs.js';
import type { Logger } from '../services/logger.js';

/** Options of {@link run}. */
export interface RunCommandOptions {
  /** Working directory holding `mlops.config.ts`. */
  cwd?: string;
  /** Config file. */
  config?: string;
  /** An already resolved config (programmatic use); skips loading. */
  resolvedConfig?: ResolvedConfig;
  /** `--set` overrides. */
  set?: string[];
  /** Store directory (`--store`), relative to `cwd`; overrides the config's `store.path`. */
  store?: string;
  /** Unknown config keys are warnings, not errors (`--lenient`). */
  lenient?: boolean;
  /** Stages; the run goes up to the last one named. */
  stages?: StageName[];
  /** Rerun stages even when cached. */
  force?: boolean | StageName[];
  /** Continue an interrupted run (`latest` or an id). */
  resume?: string;
  /** Logger. */
  logger?: Logger;
  /** Abort signal (default: Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * `mlops run`: loads the config, creates the pipeline and runs it. With `resume`, a run that
 * already succeeded is returned as recorded (`alreadySucceeded`), and nothing runs.
 */
export async function run(options: RunCommandOptions = {}): Promise<RunResult> {
  let config = options.resolvedConfig;
  if (!config) {
    const loaded = await loadConfig({
      cwd: options.cwd,
      configFile: options.config,
      overrides: options.set,
      ...(options.lenient ? { lenient: true } : {}),
    });
    for (const warning of loaded.warnings) {
      (options.logger ?? console).warn(`${warning.file}: ${warning.path}: ${warning.message}`);
    }
    config = loaded.config;
  }
  if (options.store) {
    // An absolute path: `store.path` is otherwise read relative to the config's folder.
    config = {
      ...config,
      store: { ...config.store, path: resolve(options.cwd ?? process.cwd(), options.store) },
    };
  }
  const pipeline = await Pipeline.create({ config, ...(options.logger ? { logger: options.logger } : {}) });
  return pipeline.run({
    ...(options.stages ? { stages: options.stages } : {}),
    ...(options.force !== undefined ? { force: options.force } : {}),
    ...(options.resume ? { resume: options.resume } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
