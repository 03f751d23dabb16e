import type { InjectionToken } from 'tsyringe';
import type { Json, JsonObject } from '../util/json.js';

/** The sweep a run is a trial of (`mlops sweep`). */
export interface TrackedSweep {
  /** The sweep's id in the store (`sweeps/<id>/`). */
  id: string;
  /** Display name. */
  name: string;
  /** The trial's index in the sweep. */
  trial: number;
  /** The trial's values, by config path. */
  params: JsonObject;
  /** What plugins keep with the sweep (e.g. the W&B sweep id), by plugin name. */
  external: JsonObject;
}

/** What a tracker learns about a run when it starts. */
export interface TrackedRun {
  /** The run id (also the directory name under `runs/`). */
  id: string;
  /** Project name from the config. */
  project: string;
  /** Optional display name. */
  name?: string;
  /** Tags. */
  tags?: string[];
  /** The resolved config, as JSON. */
  config: JsonObject;
  /** Directory of the local run record. */
  dir: string;
  /** Set when an earlier run with this id is being resumed. */
  resumed?: boolean;
  /** Set when the run is a trial of a sweep. */
  sweep?: TrackedSweep;
}

/**
 * Status of a run: `running`, then how it ended. `interrupted` runs (Ctrl-C, a signal, a killed
 * process) are resumable with `mlops run --resume`; a `pruned` run was stopped on purpose by a
 * sweep's early stopping (its error says by which sweep, at which epoch, below which cutoff) and
 * is final: never resumed, and `--resume latest` passes over it.
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'pruned';

/** How a run ended: every {@link RunStatus} but `running`. */
export type RunEndStatus = Exclude<RunStatus, 'running'>;

/**
 * Receives what a run produces: params, metrics per step, images, histograms, a summary.
 * Core ships the local tracker (metrics.jsonl + report.html); plugins add remote ones (W&B).
 * Several trackers may be registered; core fans out to all of them. Methods other than
 * `start`/`finish` must not block training: buffer and flush in the background.
 */
export interface Tracker {
  /** Short name, e.g. `local`, `wandb`. */
  readonly name: string;
  /** Called once before anything else. */
  start(run: TrackedRun): Promise<void>;
  /** Hyper-parameters and other run inputs. */
  logParams(params: JsonObject): void;
  /** Scalar metrics at a step (epoch or global step). Keys like `train/loss`, `val/top1`, `lr`. */
  logMetrics(metrics: Record<string, number>, step: number): void;
  /** An image (PNG bytes), e.g. sample inputs, a confusion matrix or ROC picture. */
  logImage(key: string, png: Uint8Array, options?: { step?: number; caption?: string }): void;
  /** A distribution (e.g. gradients of a layer). */
  logHistogram(key: string, values: ArrayLike<number>, step: number): void;
  /** A structured result that is not a scalar series (confusion matrix, ROC points, ...). */
  logTable?(key: string, value: Json): void;
  /** Final values shown as the run's summary. */
  logSummary(summary: Record<string, Json>): void;
  /** Flushes everything and closes the run. */
  finish(status: RunStatus): Promise<void>;
}

/** DI token under which every tracker is registered (resolve all with `container.resolveAll`). */
export const Tracker: InjectionToken<Tracker> = Symbol.for('mlops.Tracker');
