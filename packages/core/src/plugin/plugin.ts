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
  /**
   * Defaults that depend on the config itself (a narrow form of Vite's `config` hook). Called once
   * while the config loads, with the values merged from defaults, presets, the file and `--set`;
   * what it returns is applied just above the built-in defaults, so every key the user wrote still
   * wins. plugin-tfjs takes a pretrained checkpoint's architecture, input size, interpolation,
   * crop and normalization from its `config.json` this way.
   */
  configDefaults?(
    values: Readonly<Record<string, unknown>>,
    env: ConfigDefaultsEnv,
  ): Promise<PluginConfigDefaults | undefined> | PluginConfigDefaults | undefined;
}

/** What {@link MlopsPlugin.configDefaults} receives besides the merged values. */
export interface ConfigDefaultsEnv {
  /** Directory of the config file; relative paths in the values resolve against it. */
  readonly root: string;
  /** Whether a dotted key path (`model.inputSize`) was set by the user (a preset, the file or `--set`). */
  isSet(path: string): boolean;
}

/** Defaults a plugin contributes: nested values like the config's, and where they came from. */
export interface PluginConfigDefaults {
  /** Shown as the source of these values in config errors and `mlops runs show`, e.g. a checkpoint path. */
  source: string;
  /** Nested values, e.g. `{ model: { inputSize: 224 } }`. */
  values: Record<string, unknown>;
}

/** Identity helper that gives a plugin object full types. */
export function definePlugin(plugin: MlopsPlugin): MlopsPlugin {
  return plugin;
}
