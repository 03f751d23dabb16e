import type { HistogramSummary } from './histogram-bins.js';
import { isRecord, numberOf, stringOf } from './read-json.js';

/**
 * Layout of what the local tracker writes in a run directory (next to `run.json`), shared by the
 * writer ({@link LocalTracker}) and the reader (the HTML report) so the two cannot drift apart.
 */
export const RUN_FILES = {
  /** Hyper-parameters, merged over `logParams` calls. */
  params: 'params.json',
  /** One `{ step, ts, ...metrics }` per line. */
  metrics: 'metrics.jsonl',
  /** One {@link HistogramLine} per line. */
  histograms: 'histograms.jsonl',
  /** Final values, merged over `logSummary` calls. */
  summary: 'summary.json',
  /** Images: `media/<key>-<step>.png`. */
  mediaDir: 'media',
  /** Array of {@link MediaIndexEntry}. */
  mediaIndex: 'media/index.json',
  /** Structured results: `tables/<key>.json`. */
  tablesDir: 'tables',
  /** The self-contained HTML report. */
  report: 'report.html',
  /** The run record (written by the pipeline, read by the report). */
  runRecord: 'run.json',
} as const;

/** One image in `media/index.json`. */
export interface MediaIndexEntry {
  /** The key it was logged under, e.g. `samples/train`. */
  key: string;
  /** Step it was logged at. */
  step: number;
  /** Path relative to the run directory, e.g. `media/samples_train-3.png`. */
  file: string;
  /** Caption given when logging. */
  caption?: string;
  /** Epoch milliseconds when it was logged. */
  ts: number;
}

/** One line of `histograms.jsonl`: a distribution at a step, as compact bins. */
export interface HistogramLine extends HistogramSummary {
  /** The key it was logged under, e.g. `grad/conv1`. */
  key: string;
  /** Step it was logged at. */
  step: number;
  /** Epoch milliseconds when it was logged. */
  ts: number;
}

/**
 * A file-name-safe form of a metric or image key: `samples/train 1` → `samples_train_1`.
 * Different keys may map to one name; the index files keep the original key.
 */
export function safeFileName(key: string): string {
  const name = key
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 100);
  return name === '' ? 'unnamed' : name;
}

/** The valid entries of a parsed `media/index.json` (anything else is dropped). */
export function parseMediaIndex(value: unknown): MediaIndexEntry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): MediaIndexEntry[] => {
    if (!isRecord(item)) return [];
    const key = stringOf(item.key);
    const file = stringOf(item.file);
    const step = numberOf(item.step);
    if (key === undefined || file === undefined || step === undefined) return [];
    const entry: MediaIndexEntry = { key, step, file, ts: numberOf(item.ts) ?? 0 };
    const caption = stringOf(item.caption);
    if (caption !== undefined) entry.caption = caption;
    return [entry];
  });
}
