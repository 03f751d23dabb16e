/**
 * Where trials run. Core runs them in this process, one after another
 * ({@link localTrialExecutor}); a plugin registers others under {@link TrialExecutor} (plugin-gcp:
 * `vertex`, each trial a Vertex AI custom job, several at once), chosen with `mlops sweep --remote
 * <target>`. Plugins also observe sweeps ({@link SweepObserver}: W&B shows the sweep and its trials).
 */
import type { InjectionToken } from 'tsyringe';
import type { ResolvedConfig } from '../config/types.js';
import type { StageName } from '../pipeline/stage-outputs.js';
import type { Logger } from '../services/logger.js';
import type { TrackedSweep } from '../services/tracker.js';
import type { Json } from '../util/json.js';
import type { SweepRecord, TrialRecord } from './sweep-record.js';

/** One trial to run. */
export interface TrialRequest {
  /** The trial as the sweep tracks it (for trackers: `Pipeline.run({ sweep })`). */
  sweep: TrackedSweep;
  /** The trial's `--set` overrides (besides those given to `mlops sweep` itself). */
  overrides: string[];
  /** The base config with the sweep's and the trial's overrides, resolved and validated. */
  config: ResolvedConfig;
  /** The stages to run. */
  stages: StageName[];
  /** A run of this trial a killed sweep left behind: continue it rather than start over. */
  resumeRunId?: string;
}

/** What the executor may ask of the sweep while a trial runs. */
export interface TrialControl {
  /** Aborted when the sweep is stopped (Ctrl-C): stop the trial and leave it resumable. */
  readonly signal: AbortSignal;
  /** Logger of the sweep. */
  readonly logger: Logger;
  /** Records the run executing the trial, as soon as it exists (and executor details, e.g. a job name). */
  runStarted(runId: string, executor?: Record<string, Json>): Promise<void>;
  /**
   * Reports an epoch's metrics (`epochEnd`); the answer says to prune when early stopping stops
   * the trial there. Executors that see no epochs while a trial runs never call it.
   */
  epochEnd(epoch: number, epochs: number, metrics: Record<string, number>): Promise<EpochDecision>;
}

/**
 * The sweep's answer to an epoch: go on, or stop the trial, with the reason its run records
 * (`pruned by sweep <id> at epoch N (<metric> <value> below rung k's cutoff <c>, …)`).
 */
export type EpochDecision = { prune: false } | { prune: true; reason: string };

/** How a trial ended, when it did not throw. */
export interface TrialOutcome {
  /** The run that executed it. */
  runId?: string;
  /** The run's final metrics (`run.json` `metrics`). */
  metrics: Record<string, number>;
  /** Stopped because {@link TrialControl.epochEnd} said to prune (its run is recorded `pruned`). */
  pruned?: boolean;
  /** Where it ran (a job name, …), kept in the trial's record. */
  executor?: Record<string, Json>;
}

/** Runs trials somewhere. */
export interface TrialExecutor {
  /** The `--remote` value that selects it (`local` for core's). */
  readonly target: string;
  /** One line for messages, e.g. `Vertex AI custom jobs`. */
  readonly description: string;
  /** Most trials it runs at once (the sweep's `concurrency` is capped to it). */
  readonly maxConcurrency: number;
  /** Work done once before the first trial (building an image), with the base config. */
  prepare?(config: ResolvedConfig, logger: Logger, signal: AbortSignal): Promise<void>;
  /** Runs one trial to its end. Throws when it failed; the sweep goes on with the next one. */
  run(request: TrialRequest, control: TrialControl): Promise<TrialOutcome>;
}

/** DI token under which plugins register trial executors (resolve all with `resolveAll`). */
export const TrialExecutor: InjectionToken<TrialExecutor> = Symbol.for('mlops.TrialExecutor');

/**
 * Follows a sweep from a plugin: W&B creates the sweep (`upsertSweep`) and shows each trial run in
 * it. Failures are warnings: a sweep does not stop because a dashboard is down.
 */
export interface SweepObserver {
  /** The plugin's name: the key of what it keeps in `SweepRecord.external`. */
  readonly name: string;
  /**
   * The sweep starts (or resumes: `sweep.external[name]` holds what this returned before). The
   * value returned is kept in the record and handed to trackers with every trial.
   */
  sweepStart(sweep: SweepRecord): Promise<Json | undefined>;
  /** A trial ended (succeeded, pruned or failed). */
  trialEnd?(sweep: SweepRecord, trial: TrialRecord): Promise<void>;
  /** The sweep ended or was stopped. */
  sweepEnd?(sweep: SweepRecord): Promise<void>;
}

/** DI token under which plugins register sweep observers. */
export const SweepObserver: InjectionToken<SweepObserver> = Symbol.for('mlops.SweepObserver');
