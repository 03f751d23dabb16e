/**
 * The run record as the pipeline keeps it while a run goes: the run opens (or reopens, for
 * `--resume`), each stage is journalled as it is reused, starts, fails or finishes, and the run
 * ends. Every stage entry is built here, in one shape, and the run-level fields a stage's output
 * sets (data version, backend) come from the stage's rules, so the pipeline only says what
 * happened.
 */
import { isMlopsError, type MlopsErrorCode } from '../errors.js';
import type { RunError, RunRecord, StageRecord, StageRunStatus } from '../runs/run-record.js';
import type { CreateRunInput, RunStore } from '../runs/run-store.js';
import type { RunEndStatus } from '../services/tracker.js';
import type { Json } from '../util/json.js';
import { setStageOutput } from './stage-hook.js';
import { STAGES, type StageName, type StageOutputs } from './stage-outputs.js';
import { stageRule } from './stage-rules.js';

/** What every entry of a stage records besides its status, time and output. */
export interface StageEntry {
  /** The stage's cache key (`computeStageKey`). */
  cacheKey: string;
  /** ISO start time. */
  startedAt: string;
  /** Upstream inputs: stage → hash of its output. */
  inputs: Record<string, string>;
  /** Why it ran instead of coming from the cache. */
  reason?: string[];
  /** What was adjusted or chosen that the config did not say. */
  notes?: string[];
}

/** How a run ended, for {@link RunJournal.finish}. */
export interface RunEnding {
  /** Final status. */
  status: RunEndStatus;
  /** The error that ended it (absent when it succeeded). */
  error?: unknown;
  /** The stage it ended in, for a failed, interrupted or pruned run. */
  stage?: StageName;
  /** The run's headline metrics. */
  metrics: Record<string, number>;
  /** End time; default now. */
  endedAt?: Date;
}

/**
 * An error as a run record keeps it: its code when it is coded (or `code`, which overrides it),
 * and its message.
 */
export function recordedError(error: unknown, code?: MlopsErrorCode): RunError {
  return {
    code: code ?? (isMlopsError(error) ? error.code : undefined),
    message: error instanceof Error ? error.message : String(error),
  };
}

/** Sets this process's heartbeat on a record being updated. */
function beat(record: RunRecord): void {
  const last = record.attempts?.at(-1);
  if (last && last.endedAt === null && last.pid === process.pid) last.heartbeatAt = new Date().toISOString();
}

/** One stage entry, in the one shape every status shares. */
function stageRecord(
  status: StageRunStatus,
  entry: StageEntry,
  durationMs: number,
  extra: Pick<StageRecord, 'output' | 'error'> = {},
): StageRecord {
  return {
    status,
    cacheKey: entry.cacheKey,
    startedAt: entry.startedAt,
    durationMs,
    inputs: entry.inputs,
    ...extra,
    ...(entry.reason ? { reason: entry.reason } : {}),
    ...(entry.notes && entry.notes.length > 0 ? { notes: [...entry.notes] } : {}),
  };
}

/** A stage output as the JSON a record keeps (outputs are JSON by construction: refs, numbers, names). */
function outputJson<S extends StageName>(output: StageOutputs[S]): Json {
  return output as unknown as Json;
}

/** A recorded output read back as the stage's output type (the inverse of {@link outputJson}). */
function recordedOutput<S extends StageName>(_stage: S, output: Json): StageOutputs[S] {
  return output as unknown as StageOutputs[S];
}

/** The outputs a run recorded, by stage (every stage with an output: ran, cached or provided). */
export function recordedOutputs(record: RunRecord): Partial<StageOutputs> {
  const outputs: Partial<StageOutputs> = {};
  for (const stage of STAGES) {
    const done = record.stages[stage];
    if (done?.output !== undefined) setStageOutput(outputs, stage, recordedOutput(stage, done.output));
  }
  return outputs;
}

/** The record of one run, written as the run goes. */
export class RunJournal {
  private constructor(
    private readonly runs: RunStore,
    /** The run's id. */
    readonly id: string,
  ) {}

  /** Opens a new run: a fresh id and a `running` record. */
  static async open(
    runs: RunStore,
    input: CreateRunInput,
  ): Promise<{ journal: RunJournal; record: RunRecord }> {
    const record = await runs.create(input);
    return { journal: new RunJournal(runs, record.id), record };
  }

  /**
   * Reopens an ended run to continue it (`--resume`): `running` again, its error and end cleared,
   * and this process added as a new attempt.
   */
  static async reopen(runs: RunStore, id: string): Promise<{ journal: RunJournal; record: RunRecord }> {
    const record = await runs.reopen(id);
    return { journal: new RunJournal(runs, record.id), record };
  }

  /** The run's directory. */
  get dir(): string {
    return this.runs.runDir(this.id);
  }

  /** The record as it stands. */
  record(): Promise<RunRecord> {
    return this.runs.get(this.id);
  }

  /**
   * The stage's output and cache key when an earlier attempt of this run finished it (ran or came
   * from the cache): a resumed run reuses it instead of running the stage again.
   */
  async finishedEarlier<S extends StageName>(
    stage: S,
  ): Promise<{ output: StageOutputs[S]; cacheKey: string } | undefined> {
    const done = (await this.record()).stages[stage];
    if (!done || (done.status !== 'ran' && done.status !== 'cached') || done.output === undefined) {
      return undefined;
    }
    return { output: recordedOutput(stage, done.output), cacheKey: done.cacheKey };
  }

  /** The stage's output came from the stage cache without running it. */
  cached<S extends StageName>(stage: S, entry: StageEntry, output: StageOutputs[S]): Promise<void> {
    return this.write(stage, stageRecord('cached', entry, 0, { output: outputJson(output) }), output);
  }

  /** The stage starts. */
  running(stage: StageName, entry: StageEntry): Promise<void> {
    return this.write(stage, stageRecord('running', entry, 0));
  }

  /** The stage threw `error` after `durationMs`. */
  failed(stage: StageName, entry: StageEntry, durationMs: number, error: unknown): Promise<void> {
    return this.write(stage, stageRecord('failed', entry, durationMs, { error: recordedError(error) }));
  }

  /**
   * The stage ran and produced `output`. `status` is `cached` for a stage cached by its output
   * (the data stage) whose output was seen before: it ran to look, and reused what it found.
   */
  ran<S extends StageName>(
    stage: S,
    entry: StageEntry,
    durationMs: number,
    output: StageOutputs[S],
    status: 'ran' | 'cached' = 'ran',
  ): Promise<void> {
    return this.write(stage, stageRecord(status, entry, durationMs, { output: outputJson(output) }), output);
  }

  /**
   * The stage did not run: the caller `provided` its output (`mlops registry import` provides the
   * labels a checkpoint brings), or, with no output, it was `skipped`.
   */
  notRun<S extends StageName>(stage: S, provided: StageOutputs[S] | undefined): Promise<void> {
    const entry: StageEntry = { cacheKey: '', startedAt: new Date().toISOString(), inputs: {} };
    return provided === undefined
      ? this.write(stage, stageRecord('skipped', entry, 0))
      : this.write(stage, stageRecord('provided', entry, 0, { output: outputJson(provided) }), provided);
  }

  /** A sign of life of this process (where the run's time ends if the process is killed). */
  heartbeat(): Promise<void> {
    return this.runs.heartbeat(this.id);
  }

  /**
   * Ends the run: status, end time, duration of every attempt, metrics, and the error that ended
   * it with the stage it happened in. An interrupted run's error is coded `MLOPS_ERR_RUN_INTERRUPTED`
   * whatever the stage threw; a pruned run's error is the sweep's reason (`MLOPS_ERR_RUN_PRUNED`).
   */
  finish(ending: RunEnding): Promise<RunRecord> {
    const error =
      ending.error === undefined
        ? undefined
        : {
            ...recordedError(
              ending.error,
              ending.status === 'interrupted' ? 'MLOPS_ERR_RUN_INTERRUPTED' : undefined,
            ),
            ...(ending.stage ? { stage: ending.stage } : {}),
          };
    return this.runs.finish(this.id, {
      status: ending.status,
      metrics: ending.metrics,
      ...(error ? { error } : {}),
      ...(ending.endedAt ? { endedAt: ending.endedAt } : {}),
    });
  }

  private async write<S extends StageName>(
    stage: S,
    record: StageRecord,
    output?: StageOutputs[S],
  ): Promise<void> {
    await this.runs.update(this.id, (r) => {
      r.stages[stage] = record;
      if (output !== undefined) Object.assign(r, stageRule(stage).runFields?.(output));
      beat(r);
    });
  }
}
