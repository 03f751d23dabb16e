import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { HistogramSummary } from '../histogram-bins.js';
import { isRecord, numberOf, numbersOf, readJsonFile, readJsonLines, stringOf } from '../read-json.js';
import { type HistogramLine, type MediaIndexEntry, parseMediaIndex, RUN_FILES } from '../run-files.js';
import { type EvaluationView, extractEvaluation } from './evaluation-data.js';
import type { MetricRow } from './metric-series.js';
import { parseRunRecord, type RunRecordView } from './run-record.js';

/** An image ready to inline. */
export interface EmbeddedImage extends MediaIndexEntry {
  /** `data:image/png;base64,...`. */
  dataUri: string;
}

/** Limits on what the report inlines, so a run that logged thousands of images stays openable. */
export interface EmbedLimits {
  /** Latest images kept per key. */
  maxImagesPerKey: number;
  /** Total bytes of images inlined. */
  maxImageBytes: number;
}

/** Everything the report shows, read from a run directory. */
export interface RunReportData {
  /** `run.json`, checked. */
  record: RunRecordView;
  /** Rows of `metrics.jsonl`. */
  metrics: MetricRow[];
  /** Lines of `histograms.jsonl`. */
  histograms: HistogramLine[];
  /** Images to inline. */
  images: EmbeddedImage[];
  /** Images left out by the limits. */
  omittedImages: number;
  /** `summary.json`. */
  summary: Record<string, unknown>;
  /** `params.json`. */
  params: Record<string, unknown>;
  /** Evaluation results, when there are any. */
  evaluation?: EvaluationView;
}

/** Reads a run directory for the report. Missing or broken files give empty sections, not errors. */
export async function readRunReportData(runDir: string, limits: EmbedLimits): Promise<RunReportData> {
  const [runJson, metricLines, histogramLines, summary, params, mediaIndex, confusionTable, rocTable] =
    await Promise.all([
      readJsonFile(join(runDir, RUN_FILES.runRecord)),
      readJsonLines(join(runDir, RUN_FILES.metrics)),
      readJsonLines(join(runDir, RUN_FILES.histograms)),
      readJsonFile(join(runDir, RUN_FILES.summary)),
      readJsonFile(join(runDir, RUN_FILES.params)),
      readJsonFile(join(runDir, RUN_FILES.mediaIndex)),
      readJsonFile(join(runDir, RUN_FILES.tablesDir, 'confusion_matrix.json')),
      readJsonFile(join(runDir, RUN_FILES.tablesDir, 'roc.json')),
    ]);
  const record = parseRunRecord(runJson);
  const { images, omitted } = await embedImages(runDir, parseMediaIndex(mediaIndex), limits);
  return {
    record,
    metrics: metricLines.flatMap(metricRowOf),
    histograms: histogramLines.flatMap(histogramLineOf),
    images,
    omittedImages: omitted,
    summary: isRecord(summary) ? summary : {},
    params: isRecord(params) ? params : {},
    evaluation: extractEvaluation(record, { confusionMatrix: confusionTable, roc: rocTable }),
  };
}

function metricRowOf(line: unknown): MetricRow[] {
  if (!isRecord(line)) return [];
  const step = numberOf(line.step);
  if (step === undefined) return [];
  const values: Record<string, number> = {};
  for (const [key, value] of Object.entries(line)) {
    if (key === 'step' || key === 'ts') continue;
    // null is how JSON carries NaN/Infinity (a diverged loss): keep it as a gap in the line.
    if (typeof value === 'number') values[key] = value;
    else if (value === null) values[key] = Number.NaN;
  }
  return [{ step, values }];
}

function histogramLineOf(line: unknown): HistogramLine[] {
  if (!isRecord(line)) return [];
  const key = stringOf(line.key);
  const step = numberOf(line.step);
  const bins = numbersOf(line.bins);
  const min = numberOf(line.min);
  const max = numberOf(line.max);
  if (key === undefined || step === undefined || !bins || min === undefined || max === undefined) return [];
  const summary: HistogramSummary = {
    count: numberOf(line.count) ?? bins.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0),
    min,
    max,
    mean: numberOf(line.mean) ?? Number.NaN,
    std: numberOf(line.std) ?? Number.NaN,
    bins,
  };
  return [{ key, step, ts: numberOf(line.ts) ?? 0, ...summary }];
}

/** Image types a browser shows from a data URI (SVG is left out: it can carry scripts). */
const IMAGE_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

async function embedImages(
  runDir: string,
  entries: MediaIndexEntry[],
  limits: EmbedLimits,
): Promise<{ images: EmbeddedImage[]; omitted: number }> {
  const root = resolve(runDir);
  const byKey = new Map<string, MediaIndexEntry[]>();
  for (const entry of entries) byKey.set(entry.key, [...(byKey.get(entry.key) ?? []), entry]);
  const chosen = [...byKey.values()].flatMap((list) =>
    list.sort((a, b) => a.step - b.step).slice(-limits.maxImagesPerKey),
  );
  let bytes = 0;
  const images: EmbeddedImage[] = [];
  for (const entry of chosen) {
    const path = resolve(root, entry.file);
    const type = IMAGE_TYPES[extname(path).toLowerCase()];
    // The index is data: never let it point the report at files outside the run directory.
    if (!type || !path.startsWith(root + sep)) continue;
    const data = await readFile(path).catch(() => undefined);
    if (!data || bytes + data.length > limits.maxImageBytes) continue;
    bytes += data.length;
    images.push({ ...entry, dataUri: `data:${type};base64,${data.toString('base64')}` });
  }
  return { images, omitted: entries.length - images.length };
}
