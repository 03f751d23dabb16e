/** Test helper: a resolved project config with the gcp plugin, and a way to call its commands. */
import { join } from 'node:path';
import { type Logger, Pipeline, type PluginApi, resolveUserConfig, type UserConfig } from '@mlops/core';
import type { GcpPluginOptions } from '../src/options.js';
import { gcp } from '../src/plugin.js';

/** Log lines a command wrote, by level. */
export interface CapturedLog {
  info: string[];
  warn: string[];
}

/**
 * A pipeline for a project in `dir` using `gcp(options)` (after the plugins of `user`, if any),
 * and a runner of its plugin commands.
 */
export async function gcpProject(dir: string, options: GcpPluginOptions, user: Partial<UserConfig> = {}) {
  const loaded = await resolveUserConfig(
    { project: 'shoes', ...user, plugins: [...(user.plugins ?? []), gcp(options)] } as UserConfig,
    { file: join(dir, 'mlops.config.ts') },
  );
  const log: CapturedLog = { info: [], warn: [] };
  const logger: Logger = {
    debug() {},
    info: (m) => log.info.push(m),
    warn: (m) => log.warn.push(m),
    error: (m) => log.warn.push(m),
    child() {
      return logger;
    },
  };
  const pipeline = await Pipeline.create({ config: loaded.config, logger });
  const api: PluginApi = {
    hooks: pipeline.hooks,
    container: pipeline.container,
    config: pipeline.config,
    logger,
    provide: () => undefined,
    command: () => undefined,
  };
  /** Runs the plugin command named `name` (e.g. `data push`) as the CLI would. */
  const command = async (
    name: string,
    args: string[] = [],
    flags: Record<string, unknown> = {},
  ): Promise<unknown> => {
    const found = pipeline.commands.find((c) => c.name === name || c.name.startsWith(`${name} `));
    if (!found)
      throw new Error(`no command ${name}; have ${pipeline.commands.map((c) => c.name).join(', ')}`);
    return found.action(args, flags, api);
  };
  return { pipeline, config: loaded.config, command, log };
}
