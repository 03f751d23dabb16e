import { isRecord, numberOf, stringOf } from '../read-json.js';

/** Status and timing of one stage, as far as `run.json` tells. */
export interface StageView {
  /** Stage name. */
  name: string;
  /** `ran`, `cached`, `failed`, `skipped`, or whatever the record says. */
  status?: string;
  /** Wall time. */
  durationMs?: number;
  /** Cache key of the stage's inputs. */
  cacheKey?: string;
  /** Error message of a failed stage. */
  error?: string;
  /** Why the stage ran instead of coming from the cache. */
  reason: string[];
  /** What the stage adjusted (a clamped batch size, a fallback split). */
  notes: string[];
}

/** A run error. */
export interface RunErrorView {
  /** Message. */
  message: string;
  /** Error code, e.g. `MLOPS_ERR_STAGE_FAILED`. */
  code?: string;
  /** What to do about it. */
  hint?: string;
  /** The stage it happened in. */
  stage?: string;
}

/** What the report shows from `run.json`, every field checked; missing ones are undefined. */
export interface RunRecordView {
  /** Run id. */
  id?: string;
  /** Project. */
  project?: string;
  /** Display name. */
  name?: string;
  /** Tags. */
  tags: string[];
  /** Run status. */
  status?: string;
  /** Start time (ISO text or epoch ms). */
  startedAt?: string | number;
  /** End time (ISO text or epoch ms). */
  endedAt?: string | number;
  /** Wall time; computed from start and end when not recorded. */
  durationMs?: number;
  /** Data version hash. */
  dataVersion?: string;
  /** Code version. */
  git?: { sha?: string; dirty?: boolean };
  /** Compute backend, e.g. `wasm`. */
  backend?: string;
  /** Package name and version pairs. */
  packages: [string, string][];
  /** Stages in lifecycle order, then any others. */
  stages: StageView[];
  /** The run's error, when it failed. */
  error?: RunErrorView;
  /** Final metrics of the run (`run.json` `metrics`). */
  metrics: Record<string, number>;
  /** The resolved config. */
  config?: unknown;
  /** The raw `stages` object, for readers of stage outputs. */
  stageOutputs: Record<string, unknown>;
}

/** Lifecycle order of stages (unknown stages follow, in record order). */
const STAGE_ORDER = ['data', 'model', 'train', 'evaluate', 'export', 'serve'];

/** Reads a parsed `run.json` defensively: anything missing or of the wrong type is left out. */
export function parseRunRecord(value: unknown): RunRecordView {
  const record = isRecord(value) ? value : {};
  const stagesRecord = isRecord(record.stages) ? record.stages : {};
  const stageOutputs: Record<string, unknown> = {};
  for (const [name, stage] of Object.entries(stagesRecord)) {
    if (isRecord(stage)) stageOutputs[name] = stage.output;
  }
  const view: RunRecordView = {
    id: stringOf(record.id),
    project: stringOf(record.project),
    name: stringOf(record.name),
    tags: Array.isArray(record.tags) ? record.tags.filter((t): t is string => typeof t === 'string') : [],
    status: stringOf(record.status),
    startedAt: timeOf(record.startedAt),
    endedAt: timeOf(record.endedAt),
    durationMs: numberOf(record.durationMs),
    dataVersion: stringOf(record.dataVersion) ?? stringOf(field(stageOutputs.data, 'version')),
    git: gitOf(record.git),
    backend: stringOf(record.backend) ?? stringOf(field(stageOutputs.train, 'backend')),
    packages: packagesOf(record.packages),
    stages: stagesOf(stagesRecord),
    error: errorOf(record.error),
    metrics: numericFields(record.metrics),
    config: record.config,
    stageOutputs,
  };
  if (view.durationMs === undefined && view.startedAt !== undefined && view.endedAt !== undefined) {
    const elapsed = new Date(view.endedAt).getTime() - new Date(view.startedAt).getTime();
    if (Number.isFinite(elapsed) && elapsed >= 0) view.durationMs = elapsed;
  }
  return view;
}

/** `object[key]` when `object` is a record. */
export function field(object: unknown, key: string): unknown {
  return isRecord(object) ? object[key] : undefined;
}

function timeOf(value: unknown): string | number | undefined {
  return stringOf(value) ?? numberOf(value);
}

function gitOf(value: unknown): RunRecordView['git'] {
  if (!isRecord(value)) return undefined;
  return { sha: stringOf(value.sha), dirty: typeof value.dirty === 'boolean' ? value.dirty : undefined };
}

/** Accepts `{ name: version }`, `[{ name, version }]` or `["name@version"]`. */
function packagesOf(value: unknown): [string, string][] {
  if (Array.isArray(value)) {
    return value.flatMap((item): [string, string][] => {
      if (typeof item === 'string') {
        const at = item.lastIndexOf('@');
        return at > 0 ? [[item.slice(0, at), item.slice(at + 1)]] : [[item, '']];
      }
      const name = stringOf(field(item, 'name'));
      return name ? [[name, stringOf(field(item, 'version')) ?? '']] : [];
    });
  }
  if (!isRecord(value)) return [];
  return Object.entries(value).map(([name, version]): [string, string] => [
    name,
    typeof version === 'string' ? version : JSON.stringify(version),
  ]);
}

function stagesOf(stages: Record<string, unknown>): StageView[] {
  const names = Object.keys(stages).sort((a, b) => rank(a) - rank(b));
  return names.map((name) => {
    const stage = stages[name];
    return {
      name,
      status: stringOf(field(stage, 'status')),
      durationMs: numberOf(field(stage, 'durationMs')),
      cacheKey: stringOf(field(stage, 'cacheKey')),
      error: errorOf(field(stage, 'error'))?.message,
      reason: stringsOf(field(stage, 'reason')),
      notes: stringsOf(field(stage, 'notes')),
    };
  });
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function rank(stage: string): number {
  const index = STAGE_ORDER.indexOf(stage);
  return index === -1 ? STAGE_ORDER.length : index;
}

function errorOf(value: unknown): RunErrorView | undefined {
  if (typeof value === 'string' && value !== '') return { message: value };
  if (!isRecord(value)) return undefined;
  const message = stringOf(value.message) ?? JSON.stringify(value);
  return { message, code: stringOf(value.code), hint: stringOf(value.hint), stage: stringOf(value.stage) };
}

/** The finite-number fields of an object. */
export function numericFields(value: unknown): Record<string, number> {
  const numbers: Record<string, number> = {};
  if (!isRecord(value)) return numbers;
  for (const [key, v] of Object.entries(value)) {
    const number = numberOf(v);
    if (number !== undefined) numbers[key] = number;
  }
  return numbers;
}
