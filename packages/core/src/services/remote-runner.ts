import type { InjectionToken } from 'tsyringe';
import type { StageName } from '../pipeline/stage-outputs.js';
import type { PluginApi } from '../plugin/plugin.js';

/** What `mlops run|train|evaluate|export --remote <target>` asks a {@link RemoteRunner} to do. */
export interface RemoteRunRequest {
  /** The stages the local command would run (the lifecycle up to the last one). */
  stages: StageName[];
  /** Print the request that would be sent, send nothing. */
  dryRun: boolean;
  /** Target-specific settings from `--remote-option key=value` (repeatable), e.g. `image=...`. */
  options: Record<string, string>;
  /** Rerun cached stages on the remote side. */
  force: boolean;
  /**
   * The command line's `--set` overrides as given (`train.lr=0.002`), in order. The remote run
   * applies them to the same config file, so its config is the one resolved here.
   */
  set: readonly string[];
}

/**
 * Runs the same config somewhere else: a managed training job (Vertex AI), a CI runner, a cluster.
 * Plugins register one per target; core's `--remote <target>` option on `run`, `train`,
 * `evaluate` and `export` finds it by {@link RemoteRunner.target} and hands it the request, so a
 * remote run is the local command plus one flag.
 */
export interface RemoteRunner {
  /** The `--remote` value that selects it, e.g. `vertex`. */
  readonly target: string;
  /** One line for errors and help, e.g. `Vertex AI custom job`. */
  readonly description: string;
  /** Submits (or with `dryRun` only builds) the remote run; the return value is printed. */
  submit(request: RemoteRunRequest, api: PluginApi): Promise<unknown>;
}

/** DI token under which every remote runner is registered (resolve all with `resolveAll`). */
export const RemoteRunner: InjectionToken<RemoteRunner> = Symbol.for('mlops.RemoteRunner');
