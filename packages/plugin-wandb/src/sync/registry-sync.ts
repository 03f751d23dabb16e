import { type ModelRegistry, readJsonIfExists, writeJsonAtomic } from '@mlops/core';
import { readIntents } from '../registry/spooling-registry.js';
import type { WandbModelRegistry } from '../registry/wandb-model-registry.js';

/** Progress of the replay, `registry-sync.json` next to `registry.jsonl`. */
interface RegistrySyncState {
  /** Intents replayed. */
  done: number;
  /** `model@localVersion` → W&B version. */
  versions: Record<string, number>;
}

/** What one replay did. */
export interface RegistrySyncReport {
  /** Versions logged as artifacts (or found already logged). */
  registered: number;
  /** Alias changes applied. */
  aliases: number;
}

/**
 * Replays the offline registry's intents on W&B, in order, from where the last replay stopped.
 * Each step is idempotent (an artifact with the same content digest is the same version; an
 * alias already in place stays), so a crash between a step and the saved progress repeats that
 * step without creating anything twice.
 */
export async function syncRegistryIntents(
  local: ModelRegistry,
  remote: WandbModelRegistry,
  intentsPath: string,
  statePath: string,
): Promise<RegistrySyncReport> {
  const intents = await readIntents(intentsPath);
  const state = (await readJsonIfExists<RegistrySyncState>(statePath)) ?? { done: 0, versions: {} };
  const report: RegistrySyncReport = { registered: 0, aliases: 0 };
  const remoteVersion = async (model: string, version: number): Promise<number> => {
    const known = state.versions[`${model}@${version}`];
    if (known !== undefined) return known;
    const registered = await register(local, remote, model, version, []);
    state.versions[`${model}@${version}`] = registered;
    return registered;
  };
  for (let i = state.done; i < intents.length; i++) {
    const intent = intents[i]!;
    if (intent.op === 'register') {
      state.versions[`${intent.model}@${intent.version}`] = await register(
        local,
        remote,
        intent.model,
        intent.version,
        intent.aliases,
      );
      report.registered++;
    } else if (intent.op === 'alias') {
      const version = await remoteVersion(intent.model, intent.version);
      await remote.promote(intent.model, version, intent.alias, { force: true, reason: 'mlops wandb sync' });
      report.aliases++;
    } else {
      await remote
        .removeAlias(intent.model, intent.alias, { reason: 'mlops wandb sync' })
        .catch((error: unknown) => {
          // Already gone on W&B: the intent is done.
          if (
            !(
              error instanceof Error &&
              'code' in error &&
              error.code === 'MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND'
            )
          )
            throw error;
        });
      report.aliases++;
    }
    state.done = i + 1;
    await writeJsonAtomic(statePath, state);
  }
  return report;
}

async function register(
  local: ModelRegistry,
  remote: WandbModelRegistry,
  model: string,
  version: number,
  aliases: string[],
): Promise<number> {
  const v = await local.resolve(model, { version });
  const registered = await remote.register({
    model,
    artifacts: v.artifacts,
    metrics: v.metrics,
    lineage: v.lineage,
    metadata: v.metadata,
    aliases,
  });
  return registered.version;
}
