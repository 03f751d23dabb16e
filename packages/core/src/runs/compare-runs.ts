/** What differs between two runs: the data behind `mlops runs compare`. */
import type { RunStatus } from '../services/tracker.js';
import type { Json } from '../util/json.js';
import { flattenJson } from './flatten-json.js';
import type { GitInfo, RunRecord } from './run-record.js';

/** A value that differs between run `a` and run `b`; `undefined` where a run lacks it. */
export interface ValueDifference<T> {
  /** Key path, e.g. `train.optimizer.lr`, or a metric or package name. */
  key: string;
  /** Value in run `a`. */
  a: T | undefined;
  /** Value in run `b`. */
  b: T | undefined;
}

/** A metric of both runs, with `b - a` when both have it. */
export interface MetricDifference extends ValueDifference<number> {
  /** `b - a`, or null when one run lacks the metric. */
  delta: number | null;
}

/** One scalar property of both runs. */
export interface PropertyDifference<T> {
  /** Value in run `a`. */
  a: T;
  /** Value in run `b`. */
  b: T;
  /** Whether they differ. */
  changed: boolean;
}

/** The comparison of two runs. */
export interface RunComparison {
  /** Id of run `a`. */
  a: string;
  /** Id of run `b`. */
  b: string;
  /** Config leaves that differ, sorted by key path. */
  config: ValueDifference<Json>[];
  /** Metrics, sorted by name: those that differ, or all with `includeUnchanged`. */
  metrics: MetricDifference[];
  /** Data versions. */
  dataVersion: PropertyDifference<string | null>;
  /** Code versions. */
  git: PropertyDifference<GitInfo | null>;
  /** Package versions that differ. */
  packages: ValueDifference<string>[];
  /** Backends. */
  backend: PropertyDifference<string | null>;
  /** How each run ended (`pruned` for a trial a sweep stopped early), with its reason when it did not succeed. */
  status: PropertyDifference<RunStatus> & { reasonA?: string; reasonB?: string };
}

/** Options of {@link compareRuns}. */
export interface CompareRunsOptions {
  /** List metrics whose values are equal too (a side-by-side table wants them). Default false. */
  includeUnchanged?: boolean;
}

/** Compares run `a` (the baseline) with run `b`. */
export function compareRuns(a: RunRecord, b: RunRecord, options: CompareRunsOptions = {}): RunComparison {
  // Records written by older versions may lack a field; compare what is there.
  const configA = flattenJson(a.config ?? {});
  const configB = flattenJson(b.config ?? {});
  const metricsA = a.metrics ?? {};
  const metricsB = b.metrics ?? {};
  const packagesA = a.packages ?? {};
  const packagesB = b.packages ?? {};
  const config = unionKeys(configA, configB)
    .filter((key) => !sameJson(configA[key], configB[key]))
    .map((key) => ({ key, a: configA[key], b: configB[key] }));

  const metrics = unionKeys(metricsA, metricsB)
    .map((key) => {
      const ma = metricsA[key];
      const mb = metricsB[key];
      return { key, a: ma, b: mb, delta: ma !== undefined && mb !== undefined ? mb - ma : null };
    })
    .filter((m) => options.includeUnchanged || m.a !== m.b);

  const packages = unionKeys(packagesA, packagesB)
    .filter((key) => packagesA[key] !== packagesB[key])
    .map((key) => ({ key, a: packagesA[key], b: packagesB[key] }));

  return {
    a: a.id,
    b: b.id,
    config,
    metrics,
    dataVersion: property(a.dataVersion ?? null, b.dataVersion ?? null),
    git: {
      a: a.git ?? null,
      b: b.git ?? null,
      changed: a.git?.sha !== b.git?.sha || a.git?.dirty !== b.git?.dirty,
    },
    packages,
    backend: property(a.backend ?? null, b.backend ?? null),
    status: {
      ...property(a.status, b.status),
      ...(a.error ? { reasonA: a.error.message } : {}),
      ...(b.error ? { reasonB: b.error.message } : {}),
    },
  };
}

function property<T extends string | null>(a: T, b: T): PropertyDifference<T> {
  return { a, b, changed: a !== b };
}

function unionKeys(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

/** Leaves are primitives or empty containers; JSON text tells `[]` from `{}` from absent. */
function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));
}
