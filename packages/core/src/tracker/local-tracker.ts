import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MlopsError } from '../errors.js';
import { silentLogger } from '../logging/silent-logger.js';
import type { Logger } from '../services/logger.js';
import type { RunStatus, TrackedRun, Tracker } from '../services/tracker.js';
import type { Json, JsonObject } from '../util/json.js';
import { BufferedRunWriter } from './buffered-run-writer.js';
import { DEFAULT_HISTOGRAM_BINS, summarizeHistogram } from './histogram-bins.js';
import { isRecord, readJsonFile } from './read-json.js';
import { writeRunReport } from './report/render-run-report.js';
import {
  type HistogramLine,
  type MediaIndexEntry,
  parseMediaIndex,
  RUN_FILES,
  safeFileName,
} from './run-files.js';

/** Options of {@link LocalTracker}. */
export interface LocalTrackerOptions {
  /** Directory written into. Default: the `dir` of the run given to `start`. */
  dir?: string;
  /** Most milliseconds between background flushes. Default 1000. */
  flushIntervalMs?: number;
  /** Buffered metric/histogram lines that trigger an early flush. Default 1000. */
  maxBufferedLines?: number;
  /** Bins per histogram. Default 30. */
  histogramBins?: number;
  /** Write `report.html` on finish. Default true. */
  writeReport?: boolean;
  /** Where write failures are reported. Default: silent. */
  logger?: Logger;
  /** Clock (epoch ms) for the `ts` fields, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * The built-in {@link Tracker}: writes everything into the run directory as plain files (see
 * {@link RUN_FILES}) and, on finish, a self-contained `report.html`. Logging calls only buffer
 * in memory; a timer flushes at least every second, and `finish` flushes the rest.
 */
export class LocalTracker implements Tracker {
  /** {@inheritDoc Tracker.name} */
  readonly name = 'local';

  readonly #options: Required<Omit<LocalTrackerOptions, 'logger' | 'dir'>>;
  readonly #fixedDir: string | undefined;
  readonly #logger: Logger;
  readonly #writer: BufferedRunWriter;
  #run: TrackedRun | undefined;
  #params: JsonObject = {};
  #summary: JsonObject = {};
  #media: MediaIndexEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #finished = false;
  #firstWriteError: { file: string; error: unknown } | undefined;
  readonly #filesReportedFailing = new Set<string>();

  /**
   * Creates a tracker; it writes nothing until {@link LocalTracker.start}.
   * @param dirOrOptions options, or just the directory to write into.
   */
  constructor(dirOrOptions: string | LocalTrackerOptions = {}) {
    const options = typeof dirOrOptions === 'string' ? { dir: dirOrOptions } : dirOrOptions;
    this.#fixedDir = options.dir;
    this.#options = {
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      maxBufferedLines: options.maxBufferedLines ?? 1000,
      histogramBins: options.histogramBins ?? DEFAULT_HISTOGRAM_BINS,
      writeReport: options.writeReport ?? true,
      now: options.now ?? Date.now,
    };
    this.#logger = (options.logger ?? silentLogger).child({ tracker: 'local' });
    this.#writer = new BufferedRunWriter((file, error) => this.#onWriteError(file, error));
  }

  /** {@inheritDoc Tracker.start} */
  async start(run: TrackedRun): Promise<void> {
    const dir = this.#fixedDir ?? run.dir;
    this.#run = { ...run, dir };
    await mkdir(dir, { recursive: true });
    if (run.resumed) {
      await this.#loadPrevious(dir);
    } else {
      // A fresh run starts fresh series; a resumed one appends (the report keeps the latest
      // value per step, so epochs replayed after a resume simply overwrite).
      await writeFile(join(dir, RUN_FILES.metrics), '');
      await writeFile(join(dir, RUN_FILES.histograms), '');
    }
    this.#writer.setDirectory(dir);
    this.#timer = setInterval(() => {
      if (this.#writer.hasPending) void this.#writer.flush();
    }, this.#options.flushIntervalMs);
    // The flush timer alone must not keep the process alive.
    this.#timer.unref();
  }

  /** {@inheritDoc Tracker.logParams} */
  logParams(params: JsonObject): void {
    if (this.#finished) return;
    Object.assign(this.#params, structuredClone(params));
    this.#writer.markDocumentChanged(RUN_FILES.params, () => this.#params);
  }

  /** {@inheritDoc Tracker.logMetrics} */
  logMetrics(metrics: Record<string, number>, step: number): void {
    if (this.#finished) return;
    const row: Record<string, number> = { step, ts: this.#options.now() };
    for (const [key, value] of Object.entries(metrics)) {
      if (key !== 'step' && key !== 'ts') row[key] = value;
    }
    this.#appendLine(RUN_FILES.metrics, JSON.stringify(row));
  }

  /** {@inheritDoc Tracker.logImage} */
  logImage(key: string, png: Uint8Array, options: { step?: number; caption?: string } = {}): void {
    if (this.#finished) return;
    const step = options.step ?? this.#nextImageStep(key);
    const file = `${RUN_FILES.mediaDir}/${safeFileName(key)}-${step}.png`;
    // Copy: the caller may reuse its buffer before the background write happens.
    this.#writer.putFile(file, new Uint8Array(png));
    const entry: MediaIndexEntry = { key, step, file, ts: this.#options.now() };
    if (options.caption !== undefined) entry.caption = options.caption;
    this.#media = [...this.#media.filter((m) => m.file !== file), entry];
    this.#writer.markDocumentChanged(RUN_FILES.mediaIndex, () => this.#media);
  }

  /** {@inheritDoc Tracker.logHistogram} */
  logHistogram(key: string, values: ArrayLike<number>, step: number): void {
    if (this.#finished) return;
    const line: HistogramLine = {
      key,
      step,
      ts: this.#options.now(),
      ...summarizeHistogram(values, this.#options.histogramBins),
    };
    this.#appendLine(RUN_FILES.histograms, JSON.stringify(line));
  }

  /** {@inheritDoc Tracker.logTable} */
  logTable(key: string, value: Json): void {
    if (this.#finished) return;
    // Serialized now, so later changes by the caller do not leak into the record.
    this.#writer.putFile(
      `${RUN_FILES.tablesDir}/${safeFileName(key)}.json`,
      `${JSON.stringify(value, null, 2)}\n`,
    );
  }

  /** {@inheritDoc Tracker.logSummary} */
  logSummary(summary: Record<string, Json>): void {
    if (this.#finished) return;
    Object.assign(this.#summary, structuredClone(summary));
    this.#writer.markDocumentChanged(RUN_FILES.summary, () => this.#summary);
  }

  /** Writes everything logged so far; resolves when it is on disk. Never rejects. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /**
   * Stops the flush timer, writes everything, then `report.html`. Rejects when a write failed
   * during the run (after writing what it could), so the caller learns the record is incomplete.
   */
  async finish(status: RunStatus): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    clearInterval(this.#timer);
    await this.#writer.flush();
    const run = this.#run;
    if (run && this.#options.writeReport) {
      await writeRunReport(run.dir, { status, run });
    }
    const failure = this.#firstWriteError;
    if (failure) {
      const file = run ? join(run.dir, failure.file) : failure.file;
      throw new MlopsError(
        'MLOPS_ERR_STORE_WRITE',
        `local tracker could not write ${failure.file}: ${errorMessage(failure.error)}`,
        {
          file,
          hint: `free disk space or make ${run?.dir ?? 'the run folder'} writable; the run itself went on, its record is incomplete`,
          cause: failure.error,
        },
      );
    }
  }

  #appendLine(file: string, line: string): void {
    this.#writer.appendLine(file, line);
    if (this.#writer.bufferedLineCount >= this.#options.maxBufferedLines) void this.#writer.flush();
  }

  #nextImageStep(key: string): number {
    let last = -1;
    for (const entry of this.#media) if (entry.key === key && entry.step > last) last = entry.step;
    return last + 1;
  }

  #onWriteError(file: string, error: unknown): void {
    this.#firstWriteError ??= { file, error };
    // Report each file once: a full disk would otherwise log a line every second.
    if (this.#filesReportedFailing.has(file)) return;
    this.#filesReportedFailing.add(file);
    this.#logger.warn('could not write run file', { file, error });
  }

  async #loadPrevious(dir: string): Promise<void> {
    const params = await readJsonFile(join(dir, RUN_FILES.params));
    if (isRecord(params)) this.#params = params as JsonObject;
    const summary = await readJsonFile(join(dir, RUN_FILES.summary));
    if (isRecord(summary)) this.#summary = summary as JsonObject;
    const media = await readJsonFile(join(dir, RUN_FILES.mediaIndex));
    this.#media = parseMediaIndex(media);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
