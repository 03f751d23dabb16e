import type { LoadedConfig } from '../config/load-config.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { LocalModelRegistry } from '../registry/local-model-registry.js';
import { defaultRegistryActor } from '../registry/model-file-ops.js';
import {
  type AliasMove,
  ModelRegistry,
  type ModelSummary,
  type ModelVersion,
} from '../services/model-registry.js';
import { loadProject, type ProjectOptions } from './context.js';

/**
 * The project's registry: the one its plugins provide (W&B artifacts, a bucket), as runs and
 * `mlops serve` use it, so `mlops registry promote` moves the alias the server reads; the local
 * registry when the config has no plugins (or there is no config).
 */
export async function projectRegistry(
  options: ProjectOptions = {},
): Promise<{ registry: ModelRegistry; loaded?: LoadedConfig }> {
  const { storePath, loaded } = await loadProject(options);
  if (!loaded || loaded.config.plugins.length === 0) {
    return { registry: new LocalModelRegistry(storePath), ...(loaded ? { loaded } : {}) };
  }
  const config = { ...loaded.config, store: { ...loaded.config.store, path: storePath } };
  const pipeline = await Pipeline.create({ config });
  return { registry: pipeline.container.resolve(ModelRegistry), loaded };
}

/** `mlops registry list`. */
export async function listModels(options: ProjectOptions = {}): Promise<ModelSummary[]> {
  return (await projectRegistry(options)).registry.listModels();
}

/** `mlops registry show <model>`: versions and alias history. */
export async function showModel(
  model: string,
  options: ProjectOptions = {},
): Promise<{ versions: ModelVersion[]; history: AliasMove[] }> {
  const { registry } = await projectRegistry(options);
  return { versions: await registry.listVersions(model), history: await registry.history(model) };
}

/** Options of {@link promoteModel}. */
export interface PromoteCommandOptions extends ProjectOptions {
  /** Skip the evaluation gate. */
  force?: boolean;
  /** Reason recorded in the history. */
  reason?: string;
}

/** `mlops registry promote <model> <version> <alias>`, gated by `registry.gate` from the config. */
export async function promoteModel(
  model: string,
  version: number,
  alias: string,
  options: PromoteCommandOptions = {},
): Promise<AliasMove> {
  const { registry, loaded } = await projectRegistry(options);
  const gate = loaded?.config.registry.gate;
  return registry.promote(model, version, alias, {
    ...(gate ? { gate } : {}),
    ...(options.force ? { force: true } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
    actor: defaultRegistryActor(),
  });
}
