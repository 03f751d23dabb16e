import { resolve } from 'node:path';
import { findConfigFile, type LoadedConfig, loadConfig } from '../config/load-config.js';
import { isMlopsError } from '../errors.js';

/** Where a command finds the project: a config file and/or a store. */
export interface ProjectOptions {
  /** Working directory. Default `process.cwd()`. */
  cwd?: string;
  /** Config file (`--config`). */
  config?: string;
  /** Store directory (`--store`); overrides the config's `store.path`. */
  store?: string;
  /** `--set` overrides. */
  set?: string[];
  /** Unknown config keys are warnings, not errors (`--lenient`). */
  lenient?: boolean;
}

/** Loads the config when the project has one (commands like `runs list` also work without). */
export async function loadProject(
  options: ProjectOptions,
): Promise<{ loaded?: LoadedConfig; storePath: string }> {
  const cwd = resolve(options.cwd ?? process.cwd());
  let loaded: LoadedConfig | undefined;
  try {
    findConfigFile(cwd, options.config);
    loaded = await loadConfig({
      cwd,
      configFile: options.config,
      overrides: options.set,
      ...(options.lenient ? { lenient: true } : {}),
    });
  } catch (error) {
    if (!isMlopsError(error, 'MLOPS_ERR_CONFIG_NOT_FOUND') || options.config) throw error;
  }
  const storePath = options.store
    ? resolve(cwd, options.store)
    : loaded
      ? resolve(loaded.config.root, loaded.config.store.path)
      : resolve(cwd, '.mlops');
  return { ...(loaded ? { loaded } : {}), storePath };
}
