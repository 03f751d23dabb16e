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
  /**
   * Why the stage ran instead of reusing a cached output, one input per line: `data version
   * 1a2b3c4d5e6f → 9f8e7d6c5b4a`, `config train.lr: 0.003 → 0.001`, `plugin @mlops/plugin-tfjs
   * 0.1.0 → 0.2.0`, `forced (--force)`.
   */
  reason?: string[];
  /** What the stage changed or chose that the config did not say (a clamped batch size, a fallback split). */
  notes?: string[];
}

/**
 * One process's turn on a run: its start, and each `--resume`. The host, pid and process start
 * time tell whether the process is still alive (a reused pid is not mistaken for it), and the
 * heartbeat where a killed one's time ended.
 */
export interface RunAttempt {
  /** ISO time the process started on the run. */
  startedAt: string;
  /** ISO time it stopped (succeeded, failed, interrupted); null while it runs, and when it was killed. */
  endedAt: string | null;
  /** ISO time of its last sign of life (every stage start and end, every epoch). */
  heartbeatAt: string;
  /** Process id. */
  pid: number;
  /** Host name (`os.hostname()`). */
  host: string;
  /** ISO start time of the process. */
  processStartedAt: string;
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
  /**
   * Wall time in milliseconds, of every attempt together (a resumed run counts the time before it
   * was interrupted too); null while running.
   */
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
  /**
   * `serve` for an `mlops serve` session: recorded with the runs, but never `latest` and never
   * resumed. Absent for pipeline runs.
   */
  kind?: 'serve';
  /** The processes that worked on the run, oldest first (absent in records of older versions). */
  attempts?: RunAttempt[];
}
