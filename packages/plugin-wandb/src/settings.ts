import { join, resolve } from 'node:path';
import { MlopsError, type ResolvedConfig } from '@mlops/core';
import type { RetryPolicy } from './http/retry-policy.js';
import type { RegistryLinkOptions } from './registry/wandb-model-registry.js';

/** Options of the {@link wandb} plugin factory. */
export interface WandbPluginOptions {
  /** W&B entity (user or team). Default `WANDB_ENTITY`. */
  entity?: string;
  /** W&B project. Default `WANDB_PROJECT`, else the mlops project name. */
  project?: string;
  /** Use W&B as the model registry (artifacts and aliases). Default false. */
  registry?: boolean;
  /**
   * With `registry: true`: also link every registered version into a registry collection named
   * after the model, with its aliases, as the SDK's `run.link_model` / `run.link_artifact` do, so
   * it shows in W&B's registry UI. Default `{ registry: 'model' }` (`wandb-registry-model/<model>`
   * of the entity's organization); `{ legacy: true }` links to `<entity>/model-registry/<model>`;
   * `false` links nothing.
   */
  link?: RegistryLinkOptions | false;
  /**
   * `online` streams runs while they train; `offline` only spools them under the store for
   * `mlops wandb sync`; `disabled` turns the plugin off. `WANDB_MODE` overrides it, so a CI job
   * can go offline without editing the config. Default `online`.
   */
  mode?: 'online' | 'offline' | 'disabled';
  /** API root. Default `WANDB_BASE_URL`, else `https://api.wandb.ai`. */
  baseUrl?: string;
  /** Run group. Default `WANDB_RUN_GROUP`. */
  group?: string;
  /** Tags added to every run. Default `WANDB_TAGS` (comma-separated). */
  tags?: string[];
  /** Job type of runs. Default `train`. */
  jobType?: string;
  /** Milliseconds between the tracker's writes of what was logged to the local spool. Default 2000. */
  flushIntervalMs?: number;
  /** Least milliseconds between two uploads of new run data to W&B. Default 15000 (as wandb-core). */
  transmitIntervalMs?: number;
  /** Milliseconds of silence after which a `file_stream` heartbeat is sent. Default 30000 (as wandb-core). */
  heartbeatIntervalMs?: number;
  /** Retry of failed requests. */
  retry?: Partial<RetryPolicy>;
  /** Where the netrc is. Default `$NETRC` or `~/.netrc`. */
  netrcPath?: string;
}

/** The options after defaults and environment. */
export interface WandbSettings {
  /** Entity. */
  entity: string;
  /** Project. */
  project: string;
  /** Mode. */
  mode: 'online' | 'offline' | 'disabled';
  /** API root. */
  baseUrl: string;
  /** Whether W&B is the registry. */
  registry: boolean;
  /** Group. */
  group?: string;
  /** Tags. */
  tags: string[];
  /** Job type. */
  jobType: string;
  /** `<store>/wandb`: spool, download cache, alias history. */
  stateDir: string;
}

const MODES = new Set(['online', 'offline', 'disabled']);

/** Resolves the plugin options against the environment and the mlops config. */
export function resolveSettings(
  options: WandbPluginOptions,
  config: Pick<ResolvedConfig, 'project' | 'root' | 'store'>,
  env: NodeJS.ProcessEnv = process.env,
): WandbSettings {
  const envMode = env.WANDB_MODE?.trim().toLowerCase();
  // wandb's own aliases: `dryrun` is offline, `run` is online.
  const normalizedEnvMode = envMode === 'dryrun' ? 'offline' : envMode === 'run' ? 'online' : envMode;
  if (normalizedEnvMode && !MODES.has(normalizedEnvMode)) {
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `WANDB_MODE=${env.WANDB_MODE} is not a mode`, {
      hint: 'Use WANDB_MODE=online, offline or disabled.',
    });
  }
  const mode = (normalizedEnvMode ?? options.mode ?? 'online') as WandbSettings['mode'];
  const entity = options.entity ?? env.WANDB_ENTITY;
  if (!entity && mode !== 'disabled') {
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', 'the wandb() plugin needs an entity', {
      hint: "Pass wandb({ entity: 'my-team', project: 'my-project' }) in mlops.config.ts, or set WANDB_ENTITY.",
    });
  }
  const tags =
    options.tags ??
    (env.WANDB_TAGS
      ? env.WANDB_TAGS.split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : []);
  const group = options.group ?? env.WANDB_RUN_GROUP;
  return {
    entity: entity ?? '',
    project: options.project ?? env.WANDB_PROJECT ?? config.project,
    mode,
    baseUrl: (options.baseUrl ?? env.WANDB_BASE_URL ?? 'https://api.wandb.ai').replace(/\/+$/, ''),
    registry: options.registry ?? false,
    ...(group ? { group } : {}),
    tags,
    jobType: options.jobType ?? 'train',
    stateDir: join(resolve(config.root, config.store.path), 'wandb'),
  };
}
