/**
 * `mlops sweep` on W&B: the sweep is created with W&B's sweeps API (`upsertSweep`, the mutation
 * the wandb SDK's `wandb.sweep()` sends) with a `local` controller — mlops chooses the trials, so
 * W&B's cloud controller must not hand runs to agents — and every trial's run is created with
 * `sweep: <sweep name>` (`upsertBucket`), so W&B shows the trials in the sweep's table and its
 * parallel-coordinates and importance panels. The W&B sweep name is kept in the sweep's record
 * (`external['@mlops/plugin-wandb']`), so a resumed sweep keeps adding to the same W&B sweep.
 * The W&B sweep's state follows the mlops sweep's, as the SDK's `set_sweep_state` sets it (the
 * sweep's id from `SweepWithRuns`, then `upsertSweep` with that id and the state): `FINISHED`
 * when every trial is done, `RUNNING` again when a sweep is resumed or extended; a sweep that was
 * stopped (Ctrl-C, a killed process) stays `RUNNING`, as it goes on when rerun.
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

/**
 * The SDK's `SweepWithRuns` (`internal_api.py`, `sweep`, which `set_sweep_state` calls first),
 * asking only for what setting the state needs: the sweep's GraphQL id and its state.
 */
export const SWEEP_WITH_RUNS = `query SweepWithRuns($entity: String, $project: String, $sweep: String!) {
  project(name: $project, entityName: $entity) {
    sweep(sweepName: $sweep) {
      id
      name
      state
    }
  }
}`;

/** The `UpsertSweep` the SDK's `set_sweep_state` sends: the sweep's id and its new state only. */
export const SET_SWEEP_STATE = `mutation UpsertSweep($id: ID, $state: String, $entityName: String, $projectName: String) {
  upsertSweep(input: { id: $id, state: $state, entityName: $entityName, projectName: $projectName }) {
    sweep {
      name
    }
  }
}`;

/** W&B sweep states mlops sets: `RUNNING` while trials run (or may run on a rerun), `FINISHED` when all ran. */
export type WandbSweepState = 'RUNNING' | 'FINISHED';

/**
 * Sets the W&B sweep's state as the SDK's `set_sweep_state` does; returns the state it had.
 * A sweep that W&B shows as ended (finished, canceled) is not finished again; `RUNNING` is set
 * from any state, as the mlops sweep is running trials into it.
 */
export async function setWandbSweepState(
  client: WandbClient,
  ref: WandbSweepRef,
  state: WandbSweepState,
): Promise<string> {
  const data = await client.graphql<{ project: { sweep: { id: string; state: string } | null } | null }>(
    'SweepWithRuns',
    SWEEP_WITH_RUNS,
    { entity: ref.entity, project: ref.project, sweep: ref.sweep },
  );
  const found = data.project?.sweep;
  if (!found) throw new Error(`W&B has no sweep ${ref.entity}/${ref.project}/${ref.sweep} (deleted?)`);
  const current = found.state.toUpperCase();
  if (current === state) return current;
  if (state !== 'RUNNING' && !['RUNNING', 'PAUSED', 'PENDING'].includes(current)) return current;
  await client.graphql('UpsertSweep', SET_SWEEP_STATE, {
    id: found.id,
    state,
    entityName: ref.entity,
    projectName: ref.project,
  });
  return current;
}

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

/**
 * The W&B sweep the plugin kept in a sweep record's `external`, when it is in `entity`/`project`:
 * a sweep created in another W&B project cannot hold this project's runs.
 */
function keptSweepRef(
  external: Readonly<Record<string, Json>> | undefined,
  entity: string,
  project: string,
): WandbSweepRef | undefined {
  const kept = external?.[PLUGIN_NAME] as Partial<WandbSweepRef> | undefined;
  return typeof kept?.sweep === 'string' &&
    kept.sweep !== '' &&
    kept.entity === entity &&
    kept.project === project
    ? (kept as WandbSweepRef)
    : undefined;
}

/** The `sweep` field of a spooled run: the W&B sweep of the mlops sweep the run is a trial of. */
export function sweepOfRun(run: TrackedRun, entity: string, project: string): { sweep?: string } {
  const ref = keptSweepRef(run.sweep?.external, entity, project);
  return ref ? { sweep: ref.sweep } : {};
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
  /** The W&B sweep of this mlops sweep in the plugin's entity and project, if it has one. */
  const refOf = (sweep: SweepRecord): WandbSweepRef | undefined =>
    keptSweepRef(sweep.external, options.entity, options.project);
  /** Sets the state online; a failure is a warning (the sweep goes on without the dashboard). */
  const setState = async (ref: WandbSweepRef, state: WandbSweepState): Promise<void> => {
    if (options.mode === 'offline') return;
    try {
      const client = await options.connect();
      if (!client) return;
      const was = await setWandbSweepState(client, ref, state);
      if (was !== state)
        options.logger.info(
          `W&B sweep ${ref.entity}/${ref.project}/sweeps/${ref.sweep}: ${state.toLowerCase()}`,
        );
    } catch (error) {
      options.logger.warn(
        `W&B sweep ${ref.sweep}: its state was not set to ${state}: ${(error as Error).message}`,
      );
    }
  };
  return {
    name: PLUGIN_NAME,
    async sweepStart(sweep: SweepRecord): Promise<Json | undefined> {
      const kept = refOf(sweep);
      if (kept) {
        // Resumed or extended: W&B shows it running again (a finished one too, as trials are added).
        await setState(kept, 'RUNNING');
        return kept as unknown as Json;
      }
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
    async sweepEnd(sweep: SweepRecord): Promise<void> {
      const ref = refOf(sweep);
      // A stopped sweep (`interrupted`) goes on when rerun: W&B keeps showing it running.
      if (ref && sweep.status === 'finished') await setState(ref, 'FINISHED');
    },
  };
}
