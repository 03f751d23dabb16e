import type { DependencyContainer } from 'tsyringe';
import type { ResolvedConfig } from '../config/types.js';
import type { ArtifactInfo, ArtifactStore } from '../services/artifact-store.js';
import type { Logger } from '../services/logger.js';
import type { Tracker } from '../services/tracker.js';
import type { StageName, StageOutputs } from './stage-outputs.js';

/** Identity of the run a stage belongs to. */
export interface RunInfo {
  /** Run id, e.g. `20261126-031500-ab12`. */
  id: string;
  /** The run's directory (`.mlops/runs/<id>`). */
  dir: string;
  /** True when continuing an interrupted run (`--resume`). */
  resumed: boolean;
  /** Code version recorded at the run's start: the commit, with `-dirty` for uncommitted changes. */
  gitSha?: string;
}

/** A progress indicator for long work (a bar on a TTY, a line per update otherwise). */
export interface Progress {
  /** Advances by `n` units; `info` is shown beside the bar (e.g. `loss 0.41`). */
  tick(n?: number, info?: string): void;
  /** Finishes the bar, printing a final summary line. */
  done(summary?: string): void;
}

/** Payload of the `epochEnd` event. */
export interface EpochEndEvent {
  /** 1-based epoch. */
  epoch: number;
  /** Planned epochs. */
  epochs: number;
  /** Metrics of the epoch: `train/loss`, `train/top1`, `val/loss`, `val/top1`, `lr`, ... */
  metrics: Record<string, number>;
  /** Wall time of the epoch in ms. */
  durationMs: number;
  /** Training throughput of the epoch. */
  imagesPerSecond: number;
  /** Whether this epoch produced a new best checkpoint. */
  best: boolean;
}

/**
 * What a stage implementation gets: the run, the resolved config, services, outputs of earlier
 * stages, and ways to report progress, epochs and artifacts.
 */
export interface StageContext<S extends StageName = StageName> {
  /** The stage running. */
  readonly stage: S;
  /** The run. */
  readonly run: RunInfo;
  /** Resolved config. */
  readonly config: ResolvedConfig;
  /** The run's DI container (resolve services by token). */
  readonly container: DependencyContainer;
  /** The artifact store. */
  readonly store: ArtifactStore;
  /** Logger bound to this stage. */
  readonly logger: Logger;
  /** All registered trackers, as one. */
  readonly tracker: Tracker;
  /** Outputs of earlier stages (fresh or cached) of this run. */
  readonly inputs: Readonly<Partial<StageOutputs>>;
  /** A scratch directory of this stage inside the run directory; kept for resume. */
  readonly workDir: string;
  /** Aborted on Ctrl-C / SIGTERM: stop at the next safe point. */
  readonly signal: AbortSignal;
  /** The output of an earlier stage; throws a clear error when it is missing. */
  input<K extends StageName>(stage: K): StageOutputs[K];
  /** Starts a progress indicator of `total` units. */
  progress(total: number, label: string): Progress;
  /** Announces the end of an epoch to observers (trackers, reports, early stopping hooks). */
  epochEnd(event: EpochEndEvent): Promise<void>;
  /** Announces a stored artifact to observers. */
  artifact(info: ArtifactInfo): Promise<void>;
}
