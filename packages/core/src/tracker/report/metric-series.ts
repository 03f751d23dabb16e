import type { Point } from './downsample.js';

/** One row of `metrics.jsonl`: a step and the values logged at it. */
export interface MetricRow {
  /** Step (epoch or global step). */
  step: number;
  /** Metric values; NaN where a value was recorded as null. */
  values: Record<string, number>;
}

/** A chart of related series, e.g. `Loss` with `train` and `val`. */
export interface MetricChart {
  /** Group id: `loss`, `top1`, `lr`, or the metric family name. */
  group: string;
  /** Chart title. */
  title: string;
  /** One series per split (or per member of the family). */
  series: { label: string; key: string; points: Point[] }[];
}

/** Prefixes naming a data split rather than a metric. */
const SPLITS = new Set(['train', 'training', 'val', 'valid', 'validation', 'test', 'eval']);
/** Metric names that mean the same thing, mapped to one group. */
const GROUP_ALIASES: Readonly<Record<string, string>> = {
  acc: 'top1',
  accuracy: 'top1',
  top_1: 'top1',
  learning_rate: 'lr',
  learningRate: 'lr',
};
/** Titles of the well-known groups, which also come first, in this order. */
const KNOWN_TITLES: ReadonlyMap<string, string> = new Map([
  ['loss', 'Loss'],
  ['top1', 'Accuracy (top-1)'],
  ['lr', 'Learning rate'],
]);
/** Keys that are coordinates, not metrics. */
const NOT_METRICS = new Set(['step', 'ts', 'epoch']);

/**
 * Where a metric key belongs: `val/loss` and `val_loss` → group `loss`, series `val` (series of
 * splits share a chart by suffix); anything else is its own chart, e.g. `lr`, or
 * `perf/images_per_second` (a shared non-split prefix says nothing about shared units).
 */
export function classifyMetricKey(key: string): { group: string; label: string } {
  const slash = key.indexOf('/');
  if (slash > 0 && slash < key.length - 1) {
    const head = key.slice(0, slash);
    const rest = key.slice(slash + 1);
    if (SPLITS.has(head)) return { group: canonical(rest), label: head };
  }
  const underscore = /^(train|training|val|valid|validation|test|eval)_(.+)$/.exec(key);
  if (underscore) return { group: canonical(underscore[2]!), label: underscore[1]! };
  return { group: canonical(key), label: key };
}

/**
 * Groups metric rows into charts: loss, accuracy and learning rate first, then every other
 * family alphabetically. A step logged twice (a resumed run replays epochs) keeps its last value.
 */
export function groupMetricCharts(rows: readonly MetricRow[]): MetricChart[] {
  const byKey = new Map<string, Map<number, number>>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row.values)) {
      if (NOT_METRICS.has(key)) continue;
      const steps = byKey.get(key) ?? new Map<number, number>();
      byKey.set(key, steps);
      steps.set(row.step, value);
    }
  }
  const charts = new Map<string, MetricChart>();
  for (const [key, steps] of byKey) {
    const { group, label } = classifyMetricKey(key);
    const chart = charts.get(group) ?? { group, title: KNOWN_TITLES.get(group) ?? group, series: [] };
    charts.set(group, chart);
    const points = [...steps].sort((a, b) => a[0] - b[0]);
    chart.series.push({ label, key, points });
  }
  for (const chart of charts.values()) chart.series.sort((a, b) => splitRank(a.label) - splitRank(b.label));
  const known = [...KNOWN_TITLES.keys()];
  const order = (group: string) => (known.includes(group) ? known.indexOf(group) : known.length);
  return [...charts.values()].sort(
    (a, b) => order(a.group) - order(b.group) || a.group.localeCompare(b.group),
  );
}

/** Training first, then validation, then the rest (stable sort keeps their order). */
function splitRank(label: string): number {
  const order = ['train', 'training', 'val', 'valid', 'validation', 'eval', 'test'];
  const index = order.indexOf(label);
  return index === -1 ? order.length : index;
}

function canonical(name: string): string {
  return GROUP_ALIASES[name] ?? name;
}
