import { hostname, userInfo } from 'node:os';
import { LocalModelRegistry } from '../registry/local-model-registry.js';
import type { AliasMove, ModelSummary, ModelVersion } from '../services/model-registry.js';
import { loadProject, type ProjectOptions } from './context.js';

/** `mlops registry list`. */
export async function listModels(options: ProjectOptions = {}): Promise<ModelSummary[]> {
  const { storePath } = await loadProject(options);
  return new LocalModelRegistry(storePath).listModels();
}

/** `mlops registry show <model>`: versions and alias history. */
export async function showModel(
  model: string,
  options: ProjectOptions = {},
): Promise<{ versions: ModelVersion[]; history: AliasMove[] }> {
  const { storePath } = await loadProject(options);
  const registry = new LocalModelRegistry(storePath);
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
  const { storePath, loaded } = await loadProject(options);
  const gate = loaded?.config.registry.gate;
  return new LocalModelRegistry(storePath).promote(model, version, alias, {
    ...(gate ? { gate } : {}),
    ...(options.force ? { force: true } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
    actor: `${userInfo().username}@${hostname()}`,
  });
}
