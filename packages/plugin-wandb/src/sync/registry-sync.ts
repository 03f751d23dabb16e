import {
  isMlopsError,
  type Logger,
  type ModelRegistry,
  readJsonIfExists,
  silentLogger,
  writeJsonAtomic,
} from '@mlops/core';
import { readIntents } from '../registry/spooling-registry.js';
import type { WandbModelRegistry } from '../registry/wandb-model-registry.js';

/** Progress of the replay, `registry-sync.json` next to `registry.jsonl`. */
interface RegistrySyncState {
  /** Intents replayed. */
  done: number;
  /** `model@localVersion` → W&B version. */
  versions: Record<string, number>;
}

/** An offline promotion that the gate refused when it was replayed on W&B. */
export interface RefusedPromotion {
  /** Model. */
  model: string;
  /** The W&B version (1-based) that was to get the alias. */
  version: number;
  /** The alias. */
  alias: string;
  /** The gate's reason. */
  reason: string;
}

/** What one replay did. */
export interface RegistrySyncReport {
  /** Versions logged as artifacts (or found already logged). */
  registered: number;
  /** Alias changes applied. */
  aliases: number;
  /** Gated promotions the gate refused against W&B's current holder (not applied); absent when none. */
  refused?: RefusedPromotion[];
}

/**
 * Replays the offline registry's intents on W&B, in order, from where the last replay stopped.
 * Each step is idempotent (an artifact with the same content digest is the same version; an
 * alias already in place stays), so a crash between a step and the saved progress repeats that
 * step without creating anything twice.
 *
 * An alias move replays under the terms it was made with: a gated promotion is gated again, now
 * against the version that holds the alias on W&B (which may be better than what the offline
 * machine knew); when the gate refuses, the alias is not moved, the refusal is reported and
 * logged, and the replay goes on. Only a move made with `force` is replayed with `force`.
 */
export async function syncRegistryIntents(
  local: ModelRegistry,
  remote: WandbModelRegistry,
  intentsPath: string,
  statePath: string,
  logger: Logger = silentLogger,
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
      try {
        await remote.promote(intent.model, version, intent.alias, {
          ...(intent.gate ? { gate: intent.gate } : {}),
          ...(intent.force ? { force: true } : {}),
          ...(intent.actor ? { actor: intent.actor } : {}),
          reason: intent.reason ? `${intent.reason} (mlops wandb sync)` : 'mlops wandb sync',
        });
        report.aliases++;
      } catch (error) {
        if (!isMlopsError(error, 'MLOPS_ERR_REGISTRY_GATE')) throw error;
        report.refused ??= [];
        report.refused.push({ model: intent.model, version, alias: intent.alias, reason: error.message });
        logger.warn(
          `W&B sync: the offline promotion of ${intent.model} v${version} to "${intent.alias}" is not replayed: ${error.message}`,
        );
      }
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
