/**
 * A sweep's record in the store: `<store>/sweeps/<id>/sweep.json` (written atomically after every
 * change) next to its `report.html`. The record is the sweep's state: a rerun of `mlops sweep`
 * finds it by the sweep's key (the hash of its spec and base config), keeps the finished trials,
 * reruns (or resumes) the ones a killed process left `running`, and goes on.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MlopsError } from '../errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../store/atomic-write.js';
import type { Json } from '../util/json.js';
import type { TrialParams } from './search-space.js';
import type { SweepSpec } from './sweep-spec.js';

/** Record format tag. */
export const SWEEP_RECORD_FORMAT = 'mlops-sweep/1';

/** Where a trial stands. */
export type TrialStatus = 'running' | 'succeeded' | 'pruned' | 'failed';

/** One trial: a point of the search space run as an ordinary run. */
export interface TrialRecord {
  /** 0-based index in the sweep. */
  index: number;
  /** The values tried, by config path. */
  params: TrialParams;
  /** The same as `--set` overrides. */
  overrides: string[];
  /** Where it stands. */
  status: TrialStatus;
  /** The run that executed it (locally, or on the remote side). */
  runId?: string;
  /** The objective (`sweep.metric.name`) of a succeeded trial; the last rung value of a pruned one. */
  value?: number;
  /** The run's final metrics. */
  metrics?: Record<string, number>;
  /** The metric after each epoch, as `epochEnd` reported it. */
  epochs: { epoch: number; value: number }[];
  /** The epoch whose rung stopped it (pruned trials). */
  prunedAt?: number;
  /** Why early stopping stopped it: the reason its run records too (pruned trials). */
  prunedBecause?: string;
  /** When it started / ended. */
  startedAt: string;
  /** When it ended. */
  endedAt?: string;
  /** Why it failed. */
  error?: string;
  /** What the executor says about where it ran (a Vertex AI job name, …). */
  executor?: Record<string, Json>;
}

/** The whole sweep. */
export interface SweepRecord {
  /** {@link SWEEP_RECORD_FORMAT}. */
  format: typeof SWEEP_RECORD_FORMAT;
  /** `<name>-<key prefix>`, the directory name. */
  id: string;
  /** Hash of the spec and the base config: how a rerun finds the sweep to resume. */
  key: string;
  /** Display name. */
  name: string;
  /** Project. */
  project: string;
  /** `running` until every trial is done; `interrupted` when stopped; `finished`. */
  status: 'running' | 'interrupted' | 'finished';
  /** The spec as validated. */
  spec: SweepSpec;
  /** `--set` overrides given to `mlops sweep` itself (part of every trial). */
  baseOverrides: string[];
  /** Executor target (`local`, `vertex`). */
  executor: string;
  /** Trials, by index. */
  trials: TrialRecord[];
  /** ASHA rungs: rung index → trial index → metric at the rung. */
  rungs: Record<string, Record<string, number>>;
  /** Values plugins keep with the sweep (the W&B sweep id), by plugin. */
  external: Record<string, Json>;
  /** Created. */
  createdAt: string;
  /** Last written. */
  updatedAt: string;
}

/** Reads and writes sweep records under `<store>/sweeps/`. */
export class SweepStore {
  private readonly dir: string;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly written = new Map<string, SweepRecord>();

  /** @param storePath the store root (`.mlops`). */
  constructor(storePath: string) {
    this.dir = join(storePath, 'sweeps');
  }

  /** The sweep's directory (`sweep.json`, `report.html`). */
  sweepDir(id: string): string {
    return join(this.dir, id);
  }

  /** The record, or undefined when there is none. */
  async find(id: string): Promise<SweepRecord | undefined> {
    const record = await readJsonIfExists<SweepRecord>(join(this.sweepDir(id), 'sweep.json'));
    if (record && record.format !== SWEEP_RECORD_FORMAT) {
      throw new MlopsError(
        'MLOPS_ERR_STORE_CORRUPT',
        `${this.sweepDir(id)}/sweep.json is not a sweep record`,
        {
          hint: 'move it away; `mlops sweep --fresh` starts a new sweep',
        },
      );
    }
    return record;
  }

  /** The record; throws when there is none. */
  async get(id: string): Promise<SweepRecord> {
    const record = await this.find(id);
    if (!record) {
      throw new MlopsError('MLOPS_ERR_RUN_NOT_FOUND', `no sweep "${id}" in ${this.dir}`, {
        hint: 'run `mlops sweep` in the project to start one',
      });
    }
    return record;
  }

  /** Every record, newest first. */
  async list(): Promise<SweepRecord[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const records = await Promise.all(names.filter((n) => !n.startsWith('.')).map((n) => this.find(n)));
    return records
      .filter((r): r is SweepRecord => r !== undefined)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The record as this store last wrote it (parallel trials read the newest state here). */
  current(id: string): SweepRecord | undefined {
    return this.written.get(id);
  }

  /** Writes a new record. */
  async create(record: SweepRecord): Promise<SweepRecord> {
    await this.write(record);
    return record;
  }

  /**
   * Applies `change` to the stored record and writes it atomically. Changes from trials running in
   * parallel are applied one after another, each to the record the previous one wrote.
   */
  update(id: string, change: (record: SweepRecord) => void): Promise<SweepRecord> {
    const next = this.queue.then(async () => {
      const record = await this.get(id);
      change(record);
      await this.write(record);
      return record;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(record: SweepRecord): Promise<void> {
    record.updatedAt = new Date().toISOString();
    await writeJsonAtomic(join(this.sweepDir(record.id), 'sweep.json'), record);
    this.written.set(record.id, record);
  }
}
