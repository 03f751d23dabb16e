/**
 * Run records on disk: `<store>/runs/<id>/run.json` (the {@link RunRecord}), `metrics.jsonl` (one
 * JSON object per line, appended as training goes), and whatever else a run keeps next to them
 * (report, logs). Records are rewritten atomically, so a reader never sees a half-written one.
 */
import { appendFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { MlopsError } from '../errors.js';
import type { RunEndStatus, RunStatus } from '../services/tracker.js';
import { isErrnoException, readJson, writeJsonAtomic } from '../store/atomic-write.js';
import { KeyedMutex } from '../store/keyed-mutex.js';
import { ensureStoreRoot } from '../store/store-root.js';
import type { JsonObject } from '../util/json.js';
import { newRunId, RUN_ID_PATTERN, runIdTime } from './run-id.js';
import { attemptsDuration, currentAttempt, isServeSession, settleRun } from './run-liveness.js';
import type { GitInfo, RunError, RunRecord } from './run-record.js';

/** What {@link RunStore.create} takes; everything but `project` can be filled in later. */
export interface CreateRunInput {
  /** Project name. */
  project: string;
  /** Command line. */
  argv?: string[];
  /** Resolved config. */
  config?: JsonObject;
  /** Data version, if already known. */
  dataVersion?: string | null;
  /** Code version. */
  git?: GitInfo | null;
  /** Package versions. */
  packages?: Record<string, string>;
  /** Backend, if already known. */
  backend?: string | null;
  /** Start time; default now. */
  startedAt?: Date;
  /** `serve` for an `mlops serve` session (never `latest`, never resumed). */
  kind?: 'serve';
}

/** Options of {@link RunStore.list}. */
export interface ListRunsOptions {
  /** At most this many runs. */
  limit?: number;
  /** Only runs with this status (or one of these). */
  status?: RunStatus | RunStatus[];
}

/** How a run ended; see {@link RunStore.finish}. */
export interface FinishRunInput {
  /** Final status. */
  status: RunEndStatus;
  /** Why it failed, was interrupted or pruned. */
  error?: RunError;
  /** The run's final metrics, when known. */
  metrics?: Record<string, number>;
  /** End time; default now. */
  endedAt?: Date;
}

const RUN_FILE = 'run.json';
const METRICS_FILE = 'metrics.jsonl';

/** Run records under `<root>/runs/`. */
export class RunStore {
  /** Absolute path of the runs directory. */
  readonly dir: string;
  private readonly mutex = new KeyedMutex();

  /** Run store of the store rooted at `root` (e.g. `.mlops`). */
  constructor(root: string) {
    this.dir = join(resolve(root), 'runs');
  }

  /** The directory of run `id`, for files a run keeps besides its record (report, logs). */
  runDir(id: string): string {
    if (!RUN_ID_PATTERN.test(id)) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `${JSON.stringify(id)} is not a run id (like 20261126-031500-x7k2)`,
      );
    }
    return join(this.dir, id);
  }

  /**
   * Starts a run: a fresh id, its directory, and a `running` record whose first attempt is this
   * process (so a reader can tell when the process is gone).
   */
  async create(input: CreateRunInput): Promise<RunRecord> {
    const startedAt = input.startedAt ?? new Date();
    await ensureStoreRoot(dirname(this.dir));
    await mkdir(this.dir, { recursive: true });
    for (let attempt = 0; ; attempt++) {
      const id = newRunId(startedAt);
      try {
        await mkdir(this.runDir(id)); // not recursive: EEXIST means another run took this id
      } catch (error) {
        if (isErrnoException(error, 'EEXIST') && attempt < 20) continue;
        throw error;
      }
      const record: RunRecord = {
        id,
        project: input.project,
        status: 'running',
        startedAt: startedAt.toISOString(),
        endedAt: null,
        durationMs: null,
        argv: input.argv ?? [],
        config: input.config ?? {},
        dataVersion: input.dataVersion ?? null,
        git: input.git ?? null,
        packages: input.packages ?? {},
        backend: input.backend ?? null,
        metrics: {},
        stages: {},
        ...(input.kind ? { kind: input.kind } : {}),
        attempts: [currentAttempt(startedAt)],
      };
      await writeJsonAtomic(join(this.runDir(id), RUN_FILE), record);
      return record;
    }
  }

  /**
   * Read-modify-write of a record: `mutate` changes the record in place or returns a new one.
   * Updates of the same run within this process are serialized, so none is lost. (A run has one
   * writing process, so there is no cross-process lock.)
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a mutator that edits in place returns nothing
  async update(id: string, mutate: (record: RunRecord) => RunRecord | void): Promise<RunRecord> {
    return this.mutex.run(id, async () => {
      const current = await this.read(await this.resolveId(id));
      const next = mutate(current) ?? current;
      if (next.id !== current.id) {
        throw new MlopsError(
          'MLOPS_ERR_USAGE',
          `a run update may not change the run id (${current.id} → ${next.id})`,
        );
      }
      await writeJsonAtomic(join(this.runDir(current.id), RUN_FILE), next);
      return next;
    });
  }

  /**
   * Ends a run: sets status, end time, error, and the duration of all its attempts (this one ending
   * now, killed ones at their last heartbeat).
   */
  async finish(id: string, input: FinishRunInput): Promise<RunRecord> {
    const endedAt = input.endedAt ?? new Date();
    return this.update(id, (record) => {
      record.status = input.status;
      record.endedAt = endedAt.toISOString();
      const last = record.attempts?.at(-1);
      if (last && last.endedAt === null && last.pid === process.pid) {
        last.endedAt = record.endedAt;
        last.heartbeatAt = record.endedAt;
      }
      record.durationMs = record.attempts?.length
        ? attemptsDuration(record, endedAt)
        : endedAt.getTime() - Date.parse(record.startedAt);
      if (input.metrics) record.metrics = input.metrics;
      if (input.error) record.error = input.error;
      return record;
    });
  }

  /**
   * Reopens an ended run to continue it (`mlops run --resume`): `running` again, its end and error
   * cleared, attempts that were killed ended at their last heartbeat, and this process added as a
   * new attempt.
   */
  async reopen(id: string): Promise<RunRecord> {
    return this.update(id, (record) => {
      record.status = 'running';
      record.error = undefined;
      record.endedAt = null;
      record.durationMs = null;
      for (const attempt of record.attempts ?? []) attempt.endedAt ??= attempt.heartbeatAt;
      record.attempts = [...(record.attempts ?? []), currentAttempt()];
    });
  }

  /**
   * Records a sign of life of this process on the run (the pipeline calls it at every stage and
   * epoch): where the run's time ends if the process is killed.
   */
  async heartbeat(id: string, at: Date = new Date()): Promise<void> {
    await this.update(id, (record) => {
      const last = record.attempts?.at(-1);
      if (last && last.endedAt === null && last.pid === process.pid) last.heartbeatAt = at.toISOString();
    });
  }

  /**
   * A run by id, by `latest` (the newest pipeline run: `mlops serve` sessions are left out), or by
   * an unambiguous abbreviation: a prefix of the id or its random suffix (`x7k2`). A `running` run
   * whose process is gone reads as `interrupted`. Throws `MLOPS_ERR_RUN_NOT_FOUND` naming the
   * latest runs.
   */
  async get(idOrLatest: string): Promise<RunRecord> {
    if (idOrLatest === 'latest') {
      const latest = (await this.list()).find((record) => !isServeSession(record));
      if (!latest) {
        throw new MlopsError('MLOPS_ERR_RUN_NOT_FOUND', `there are no runs in ${this.dir} yet`, {
          hint: 'Start one with `mlops run`.',
        });
      }
      return latest;
    }
    return settleRun(await this.read(await this.resolveId(idOrLatest), idOrLatest));
  }

  /** The full id of an id or abbreviation (`latest` is not resolved here). */
  private async resolveId(idOrAbbreviation: string): Promise<string> {
    const ids = await this.ids();
    return ids.includes(idOrAbbreviation) ? idOrAbbreviation : this.matchAbbreviation(idOrAbbreviation, ids);
  }

  /** The record as written, without the liveness check of {@link RunStore.get}. */
  private async read(id: string, query: string = id): Promise<RunRecord> {
    const record = await readJson<RunRecord>(join(this.dir, id, RUN_FILE)).catch((error: unknown) => {
      if (isErrnoException(error, 'ENOENT')) return undefined; // created this instant, record not written yet
      throw error;
    });
    if (!record) throw await this.notFound(query);
    return record;
  }

  /** Runs, newest first (serve sessions included); a run whose process is gone reads as `interrupted`. */
  async list(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const statuses = options.status === undefined ? undefined : [options.status].flat();
    const out: RunRecord[] = [];
    const ids = await this.ids();
    // Ids order runs by start second; within one second, read the group and order by startedAt.
    for (let i = 0; i < ids.length && out.length < limit; ) {
      const time = runIdTime(ids[i]!);
      const group: RunRecord[] = [];
      for (; i < ids.length && runIdTime(ids[i]!) === time; i++) {
        const record = await readJson<RunRecord>(join(this.dir, ids[i]!, RUN_FILE)).catch(
          (error: unknown) => {
            if (isErrnoException(error, 'ENOENT')) return undefined;
            throw error;
          },
        );
        const settled = record && settleRun(record);
        if (settled && (!statuses || statuses.includes(settled.status))) group.push(settled);
      }
      group.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
      out.push(...group.slice(0, limit - out.length));
    }
    return out;
  }

  /** Run ids present, newest first (by start second). */
  async ids(): Promise<string[]> {
    const names = await readdir(this.dir).catch((error: unknown) => {
      if (isErrnoException(error, 'ENOENT')) return [] as string[];
      throw error;
    });
    return names.filter((n) => RUN_ID_PATTERN.test(n)).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  }

  /**
   * Appends one metrics row (e.g. `{ epoch: 3, loss: 0.41, top1: 0.87 }`) to `metrics.jsonl` as
   * a single line in a single append, so concurrent writers never interleave within a line.
   */
  async appendMetrics(id: string, row: JsonObject): Promise<void> {
    const dir = this.runDir(id);
    const exists = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!exists) throw await this.notFound(id);
    await appendFile(join(dir, METRICS_FILE), `${JSON.stringify(row)}\n`);
  }

  /**
   * The metrics rows of a run, in order. A last line without its newline (the process died while
   * appending) is ignored; any other unparsable line is reported with its line number.
   */
  async readMetrics(id: string): Promise<JsonObject[]> {
    const record = await this.get(id);
    const path = join(this.dir, record.id, METRICS_FILE);
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      if (isErrnoException(error, 'ENOENT')) return '';
      throw error;
    });
    const lines = text.split('\n');
    lines.pop(); // the piece after the last newline: empty, or a torn append
    return lines.flatMap((line, index) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as JsonObject];
      } catch (cause) {
        throw new MlopsError('MLOPS_ERR_STORE_CORRUPT', `${path}:${index + 1} is not a JSON object`, {
          file: path,
          hint: 'Fix or delete that line; every line of metrics.jsonl is one JSON object.',
          cause,
        });
      }
    });
  }

  private async matchAbbreviation(query: string, ids: string[]): Promise<string> {
    const matches = query === '' ? [] : ids.filter((id) => id.startsWith(query) || id.endsWith(`-${query}`));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new MlopsError('MLOPS_ERR_USAGE', `run "${query}" is ambiguous; it matches ${listIds(matches)}`, {
        hint: 'Give more characters of the run id.',
      });
    }
    throw await this.notFound(query);
  }

  private async notFound(query: string): Promise<MlopsError> {
    const latest = (await this.ids()).slice(0, 5);
    const known = latest.length === 0 ? 'there are no runs yet' : `latest runs: ${listIds(latest)}`;
    return new MlopsError('MLOPS_ERR_RUN_NOT_FOUND', `run "${query}" not found in ${this.dir}; ${known}`, {
      hint: '`mlops runs list` shows every run; `latest` names the newest.',
    });
  }
}

function listIds(ids: string[]): string {
  return ids.join(', ');
}
