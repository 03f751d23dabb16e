import type { SweepRecord } from '../sweep/sweep-record.js';
import { table } from './format.js';

/** A trial's value or metric for the terminal. */
export function formatValueForTable(value: unknown): string {
  if (value === undefined) return '-';
  if (typeof value === 'number') return String(Number(value.toPrecision(4)));
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The trials of a sweep as a table: index, status, each key, the metric, the run. */
export function sweepTable(record: SweepRecord): string {
  const keys = Object.keys(record.spec.parameters);
  return table(
    ['trial', 'status', ...keys, record.spec.metric.name, 'run'],
    record.trials.map((t) => [
      t.index,
      t.status === 'pruned' ? `pruned@${t.prunedAt ?? '?'}` : t.status,
      ...keys.map((k) => formatValueForTable(t.params[k])),
      formatValueForTable(t.value),
      t.runId ?? '-',
    ]),
  );
}
