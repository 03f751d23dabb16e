/**
 * The run record (`runs/<id>/run.json`): everything needed to reproduce a run and to explain its
 * result: resolved config, data version, code version, package versions, backend, and what each
 * stage did.
 */
import type { RunStatus } from '../services/tracker.js';
import type { Json, JsonObject } from '../util/json.js';

/**
 * What happened to one stage: `cached` means its previous output was reused; `provided` that the
 * caller supplied its output (`mlops registry import` supplies the labels a checkpoint brings in
 * place of a dataset); `skipped` that it was left out on purpose; `running` is the state while it
 * runs (and what an interrupted run leaves behind).
 */
export type StageRunStatus = 'running' | 'ran' | 'cached' | 'provided' | 'failed' | 'skipped';

/** An error as recorded: the {@link MlopsError} code when there is one, and the message. */
export interface RunError {
  /** Stable error code, e.g. `MLOPS_ERR_STAGE_FAILED`. */
  code?: string;
  /** The message. */
  message: string;
  /** The stage that failed, for a run-level error. */
  stage?: string;
}

/** The code version of a run. */
export interface GitInfo {
  /** Commit sha of HEAD. */
  sha: string;
  /** Whether tracked files had uncommitted changes. */
  dirty: boolean;
}

/** One stage of a run. */
export interface StageRecord {
  /** What happened. */
  status: StageRunStatus;
  /** The stage's cache key (`computeStageKey`); empty when none was computed (skipped). */
  cacheKey: string;
  /** ISO start time. */
  startedAt: string;
  /** Wall time in milliseconds. */
  durationMs: number;
  /** Upstream inputs: stage or role → artifact hash. */
  inputs: Record<string, string>;
  /** The stage output as JSON; absent while running and when the stage failed. */
  output?: Json;
  /** Why the stage failed. */
  error?: RunError;
}

/** A run. */
export interface RunRecord {
  /** Run id, e.g. `20261126-031500-x7k2`: UTC start time (sortable) + random suffix. */
  id: string;
  /** Project name. */
  project: string;
  /** Where the run stands. */
  status: RunStatus;
  /** ISO start time. */
  startedAt: string;
  /** ISO end time; null while running. */
  endedAt: string | null;
  /** Wall time in milliseconds; null while running. */
  durationMs: number | null;
  /** The command line, e.g. `['run', 'train', '--set', 'train.epochs=3']`. */
  argv: string[];
  /** The resolved config. */
  config: JsonObject;
  /** Data version (dataset manifest hash), once known. */
  dataVersion: string | null;
  /** Code version; null outside a git repository. */
  git: GitInfo | null;
  /** Package name → version (core, plugins, engines). */
  packages: Record<string, string>;
  /** Compute backend, e.g. `tensorflow`, `wasm`, `cpu`; null until known. */
  backend: string | null;
  /** Final metrics of the run (e.g. the evaluate stage's), compared by `mlops runs compare`. */
  metrics: Record<string, number>;
  /** Stages by name, in the order they started. */
  stages: Record<string, StageRecord>;
  /** Why the run failed or was interrupted. */
  error?: RunError;
}
