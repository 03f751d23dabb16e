import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { ResolvedConfig } from '../config/types.js';
import type { LifecycleHooks } from '../hooks/lifecycle-hooks.js';
import type { Logger } from '../services/logger.js';

/** A CLI command a plugin adds to `mlops` (e.g. `mlops wandb sync`, `mlops deploy`). */
export interface PluginCommand {
  /** Command words and arguments in commander syntax, e.g. `wandb sync [runId]`. */
  name: string;
  /** One-line description for `--help`. */
  description: string;
  /** Options in commander syntax: `['--dry-run', 'print the request only']`. */
  options?: [flags: string, description: string][];
  /** Runs the command; the return value is printed (as JSON with `--json`). */
  action(args: string[], options: Record<string, unknown>, api: PluginApi): Promise<unknown>;
}

/** What a plugin's `apply` receives. */
export interface PluginApi {
  /** Hooks to tap, typed per hook name. */
  readonly hooks: LifecycleHooks;
  /** The DI container of this pipeline. */
  readonly container: DependencyContainer;
  /** The resolved config. */
  readonly config: ResolvedConfig;
  /** A logger bound to the plugin's name. */
  readonly logger: Logger;
  /**
   * Registers a service instance under a token. For multi-service tokens (trackers, exporters,
   * runtimes, data sources) every call adds one; for the others the last registration wins.
   */
  provide<T>(token: InjectionToken<T>, value: T): void;
  /** Adds a CLI command. */
  command(command: PluginCommand): void;
}

/**
 * A plugin: a named object whose `apply` taps hooks and provides services, in the manner of
 * Vite's plugin objects. Plugin factories take typed options: `tfjs({ backend: 'auto' })`.
 */
export interface MlopsPlugin {
  /** Unique name, e.g. `@mlops/plugin-tfjs`. */
  name: string;
  /** Version; part of every stage's cache key, so upgrading a plugin reruns its stages. */
  version?: string;
  /** Names of plugins that must be present (applied before this one). */
  dependsOn?: string[];
  /** `pre` plugins apply first, `post` last, others in config order. */
  enforce?: 'pre' | 'post';
  /** Taps hooks and provides services. */
  apply(api: PluginApi): void | Promise<void>;
}

/** Identity helper that gives a plugin object full types. */
export function definePlugin(plugin: MlopsPlugin): MlopsPlugin {
  return plugin;
}
