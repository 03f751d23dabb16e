/**
 * `mlops sweep` on W&B: the sweep is created with W&B's sweeps API (`upsertSweep`, the mutation
 * the wandb SDK's `wandb.sweep()` sends) with a `local` controller — mlops chooses the trials, so
 * W&B's cloud controller must not hand runs to agents — and every trial's run is created with
 * `sweep: <sweep name>` (`upsertBucket`), so W&B shows the trials in the sweep's table and its
 * parallel-coordinates and importance panels. The W&B sweep name is kept in the sweep's record
 * (`external['@mlops/plugin-wandb']`), so a resumed sweep keeps adding to the same W&B sweep.
 * Offline, or when W&B cannot be reached, the sweep runs without it (a warning).
 */
import type {
  Json,
  JsonObject,
  Logger,
  SweepObserver,
  SweepRecord,
  SweepSpec,
  TrackedRun,
} from '@mlops/core';
import type { WandbClient } from '../http/wandb-client.js';

/** Plugin name: the key of the sweep record's `external` entry. */
const PLUGIN_NAME = '@mlops/plugin-wandb';

/**
 * The SDK's `UpsertSweep` (`wandb/sdk/internal/internal_api.py`, `upsert_sweep`), without the
 * launch scheduler fields mlops does not use.
 */
export const UPSERT_SWEEP = `mutation UpsertSweep(
  $id: ID,
  $config: String,
  $description: String,
  $entityName: String,
  $projectName: String,
  $controller: JSONString,
  $state: String
) {
  upsertSweep(input: {
    id: $id,
    config: $config,
    description: $description,
    entityName: $entityName,
    projectName: $projectName,
    controller: $controller,
    state: $state
  }) {
    sweep {
      name
      project {
        id
        name
        entity {
          id
          name
        }
      }
    }
    configValidationWarnings
  }
}`;

/** What the plugin keeps in the sweep record. */
export interface WandbSweepRef {
  /** The W&B sweep's name (its short id). */
  sweep: string;
  /** Entity. */
  entity: string;
  /** Project. */
  project: string;
}

/**
 * The sweep's configuration in W&B's format. W&B's methods are grid, random and bayes: TPE is
 * shown as `bayes` (a model-based method; mlops' own choice is in `description`); ASHA as
 * `hyperband` with the same `min_iter` and `eta`.
 */
export function wandbSweepConfig(spec: SweepSpec, name: string): JsonObject {
  return {
    name,
    method: spec.method === 'tpe' ? 'bayes' : spec.method,
    metric: { name: spec.metric.name, goal: spec.metric.goal },
    parameters: spec.parameters as unknown as JsonObject,
    ...(spec.maxTrials ? { run_cap: spec.maxTrials } : {}),
    ...(spec.earlyStop
      ? { early_terminate: { type: 'hyperband', min_iter: spec.earlyStop.minIter, eta: spec.earlyStop.eta } }
      : {}),
  };
}

/** The `sweep` field of a spooled run: the W&B sweep of the mlops sweep the run is a trial of. */
export function sweepOfRun(run: TrackedRun, entity: string, project: string): { sweep?: string } {
  const ref = run.sweep?.external[PLUGIN_NAME] as Partial<WandbSweepRef> | undefined;
  if (!ref || typeof ref.sweep !== 'string') return {};
  // A sweep created in another W&B project cannot hold this run.
  if (ref.entity !== entity || ref.project !== project) return {};
  return { sweep: ref.sweep };
}

/** Options of {@link wandbSweepObserver}. */
export interface WandbSweepObserverOptions {
  /** Entity. */
  entity: string;
  /** Project. */
  project: string;
  /** `online` creates the sweep; `offline` runs without it. */
  mode: 'online' | 'offline';
  /** The client (undefined without an API key). */
  connect: () => Promise<WandbClient | undefined>;
  /** Logger. */
  logger: Logger;
}

/** The observer that creates the W&B sweep; see the module comment. */
export function wandbSweepObserver(options: WandbSweepObserverOptions): SweepObserver {
  return {
    name: PLUGIN_NAME,
    async sweepStart(sweep: SweepRecord): Promise<Json | undefined> {
      const kept = sweep.external[PLUGIN_NAME] as Partial<WandbSweepRef> | undefined;
      if (kept?.sweep && kept.entity === options.entity && kept.project === options.project)
        return kept as unknown as Json;
      if (options.mode === 'offline') {
        options.logger.warn(
          `W&B is offline: sweep ${sweep.id} is not created on W&B (its runs are spooled as usual)`,
        );
        return undefined;
      }
      const client = await options.connect();
      if (!client) {
        options.logger.warn('no W&B API key: the sweep is not created on W&B');
        return undefined;
      }
      const data = await client.graphql<{
        upsertSweep: { sweep: { name: string }; configValidationWarnings?: string[] | null };
      }>('UpsertSweep', UPSERT_SWEEP, {
        config: JSON.stringify(wandbSweepConfig(sweep.spec, sweep.name)),
        description: `mlops sweep ${sweep.id} (${sweep.spec.method})`,
        entityName: options.entity,
        projectName: options.project,
        controller: JSON.stringify({ type: 'local' }),
        state: 'RUNNING',
      });
      const name = data.upsertSweep.sweep.name;
      for (const warning of data.upsertSweep.configValidationWarnings ?? [])
        options.logger.warn(`W&B sweep config: ${warning}`);
      options.logger.info(`W&B sweep ${options.entity}/${options.project}/sweeps/${name}`);
      const ref: WandbSweepRef = { sweep: name, entity: options.entity, project: options.project };
      return ref as unknown as Json;
    },
  };
}
