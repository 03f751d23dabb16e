/**
 * The on-disk record of a W&B run, written before anything is sent: `<store>/wandb/spool/<run>/`
 *
 * - `run.json`     entity, project, name, tags, group, config ({@link SpooledRun})
 * - `history.jsonl` one W&B history row per line, appended, in W&B's extended JSON (bare `NaN`)
 * - `files/`       run files the rows point at (`media/images/...png`, tables)
 * - `summary.json` the run summary (extended JSON, like history: NaN and ±Infinity stay numbers)
 * - `exit.json`    written by `finish`: exit code and status
 * - `sync.json`    what the server has acknowledged ({@link SyncState})
 *
 * Online, a background sync streams this to W&B as it grows; offline (or when W&B cannot be
 * reached) it waits for `mlops wandb sync`. Either way the same uploader reads it, and
 * `sync.json` makes every upload resumable and idempotent.
 */
import { appendFile, mkdir, open, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { type JsonObject, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '@mlops/core';
import { parseExtendedJson, stringifyExtendedJson } from '../json/extended-json.js';

/** What `run.json` holds. */
export interface SpooledRun {
  /** Format marker. */
  format: 'mlops-wandb-run/1';
  /** Entity. */
  entity: string;
  /** Project. */
  project: string;
  /** Run name on W&B: the mlops run id. */
  runId: string;
  /** Display name. */
  displayName?: string;
  /** Group. */
  group?: string;
  /** Job type, e.g. `train`. */
  jobType?: string;
  /** The W&B sweep (its name, e.g. `x1y2z3ab`) this run is a trial of (`mlops sweep`). */
  sweep?: string;
  /** Tags. */
  tags: string[];
  /** Config in W&B's shape: `{ key: { value, desc } }`. */
  config: JsonObject;
  /** True when this run continues one that may already have history on the server. */
  resumed: boolean;
  /** ISO start time. */
  startedAt: string;
}

/** What `exit.json` holds. */
export interface SpooledExit {
  /** Process-style exit code: 0 succeeded, 1 failed, 255 interrupted. */
  exitcode: number;
  /** mlops run status. */
  status: string;
  /** ISO time. */
  finishedAt: string;
}

/** What the server has acknowledged, in `sync.json`. */
export interface SyncState {
  /** Digest of the run fields last upserted. */
  upserted?: string;
  /** History lines already on the server before this spool's first line (resumed runs). */
  historyBase?: number;
  /** Lines of `history.jsonl` acknowledged. */
  historySent: number;
  /** Bytes of `history.jsonl` those lines take (where the next read starts). */
  historyBytesSent?: number;
  /** Run file name → sha256 of the uploaded content. */
  filesUploaded: Record<string, string>;
  /** sha256 of the summary last sent. */
  summarySent?: string;
  /** Whether `complete` was acknowledged. */
  completed: boolean;
}

/** Paths and reads/writes of one spooled run. */
export class RunSpool {
  /** The run's spool directory. */
  readonly dir: string;

  /** @param root the spool root (`<store>/wandb/spool`); @param runId the run. */
  constructor(root: string, runId: string) {
    this.dir = join(root, runId);
  }

  /** Where a run file is kept. */
  filePath(name: string): string {
    return join(this.dir, 'files', name);
  }

  /** Creates the directories. */
  async create(): Promise<void> {
    await mkdir(join(this.dir, 'files'), { recursive: true });
  }

  /** `run.json`, or undefined when this is not a spooled run. */
  readRun(): Promise<SpooledRun | undefined> {
    return readJsonIfExists<SpooledRun>(join(this.dir, 'run.json'));
  }

  /** Rewrites `run.json`. */
  writeRun(run: SpooledRun): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'run.json'), run);
  }

  /** Appends history rows (one JSON line each). */
  async appendHistory(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await appendFile(join(this.dir, 'history.jsonl'), `${lines.join('\n')}\n`);
  }

  /**
   * The complete history lines from byte `offset` on, each with its length in bytes (newline
   * included), so a reader can continue where it stopped without reading the file again. A line
   * cut short by a crash (no final newline) is left out: it was never acknowledged to anyone.
   */
  async readHistoryFrom(offset = 0): Promise<{ line: string; bytes: number }[]> {
    let handle: import('node:fs/promises').FileHandle;
    try {
      handle = await open(join(this.dir, 'history.jsonl'), 'r');
    } catch {
      return [];
    }
    try {
      const { size } = await handle.stat();
      if (size <= offset) return [];
      const buffer = Buffer.alloc(size - offset);
      await handle.read(buffer, 0, buffer.length, offset);
      const lines: { line: string; bytes: number }[] = [];
      let start = 0;
      for (let end = buffer.indexOf(10); end !== -1; end = buffer.indexOf(10, start)) {
        lines.push({ line: buffer.toString('utf8', start, end), bytes: end + 1 - start });
        start = end + 1;
      }
      return lines;
    } finally {
      await handle.close();
    }
  }

  /** All complete history lines. */
  async readHistory(): Promise<string[]> {
    return (await this.readHistoryFrom(0)).map((l) => l.line).filter((line) => line.length > 0);
  }

  /** Cuts a line torn by a crash off the end of the history, so later appends start clean. */
  async dropTornHistoryLine(): Promise<void> {
    const path = join(this.dir, 'history.jsonl');
    let text: Buffer;
    try {
      text = await readFile(path);
    } catch {
      return;
    }
    if (text.length > 0 && text[text.length - 1] !== 10) await truncate(path, text.lastIndexOf(10) + 1);
  }

  /** Writes a run file. */
  writeFile(name: string, bytes: Uint8Array | string): Promise<void> {
    return writeFileAtomic(this.filePath(name), bytes);
  }

  /** Names of the run files, `/`-separated, sorted. */
  async listFiles(): Promise<string[]> {
    const root = join(this.dir, 'files');
    const names: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.endsWith('.tmp') || entry.name.includes('.tmp-')) continue;
        if (entry.isDirectory()) await walk(join(dir, entry.name), `${prefix}${entry.name}/`);
        else if (entry.isFile()) names.push(`${prefix}${entry.name}`);
      }
    };
    await walk(root, '');
    return names.sort();
  }

  /** `summary.json` (extended JSON: non-finite numbers come back as numbers). */
  async readSummary(): Promise<JsonObject | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.dir, 'summary.json'), 'utf8');
    } catch {
      return undefined;
    }
    return parseExtendedJson<JsonObject>(text);
  }

  /** Rewrites `summary.json`, atomically, in extended JSON. */
  writeSummary(summary: JsonObject): Promise<void> {
    return writeFileAtomic(join(this.dir, 'summary.json'), `${stringifyExtendedJson(summary)}\n`);
  }

  /** `exit.json`, once the run finished. */
  readExit(): Promise<SpooledExit | undefined> {
    return readJsonIfExists<SpooledExit>(join(this.dir, 'exit.json'));
  }

  /** Writes `exit.json`. */
  writeExit(exit: SpooledExit): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'exit.json'), exit);
  }

  /**
   * Reopens a run for a resume: its exit is forgotten (the resumed run sends its own), and the
   * run is upserted again, which is how W&B learns that a finished run is running again.
   */
  async reopen(): Promise<void> {
    await rm(join(this.dir, 'exit.json'), { force: true });
    await this.dropTornHistoryLine();
    const { upserted: _upserted, ...state } = await this.readState();
    await this.writeState({ ...state, completed: false });
  }

  /** `sync.json`, or the state of a run nothing was sent of. */
  async readState(): Promise<SyncState> {
    const state = await readJsonIfExists<SyncState>(join(this.dir, 'sync.json'));
    return state ?? { historySent: 0, filesUploaded: {}, completed: false };
  }

  /** Rewrites `sync.json` (atomically: a crash leaves the old or the new state). */
  writeState(state: SyncState): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'sync.json'), state);
  }
}

/** Ids of the runs spooled under `root`, sorted. */
export async function listSpooledRuns(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { withFileTypes: true });
    const ids: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && (await new RunSpool(root, entry.name).readRun())) ids.push(entry.name);
    }
    return ids.sort();
  } catch {
    return [];
  }
}
