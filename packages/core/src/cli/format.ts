import type { RunComparison } from '../runs/compare-runs.js';
import type { GitInfo } from '../runs/run-record.js';
import type { Json } from '../util/json.js';

/** Renders rows as an aligned text table with a header. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A metric value for humans: 4 significant decimals. */
export function metric(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(4);
}

/**
 * `mlops runs compare` for people: the metrics of both runs side by side with the change, the
 * config keys that differ, then how each ended (status and reason), data, code, backend and
 * package versions.
 */
export function formatComparison(c: RunComparison): string {
  const value = (v: Json | undefined) =>
    v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
  const delta = (d: number | null) => (d === null ? '-' : `${d > 0 ? '+' : ''}${metric(d)}`);
  const ended = (status: string, reason: string | undefined) =>
    status === 'succeeded' || reason === undefined ? status : `${status}: ${reason}`;
  const sections = [`a: ${c.a}\nb: ${c.b}`];
  sections.push(
    c.metrics.length > 0
      ? table(
          ['metric', 'a', 'b', 'b - a'],
          c.metrics.map((m) => [m.key, metric(m.a), metric(m.b), delta(m.delta)]),
        )
      : 'metrics: none recorded',
  );
  sections.push(
    c.config.length > 0
      ? table(
          ['config', 'a', 'b'],
          c.config.map((d) => [d.key, value(d.a), value(d.b)]),
        )
      : 'config: the same',
  );
  const git = (info: GitInfo | null) =>
    info ? `${info.sha.slice(0, 10)}${info.dirty ? '-dirty' : ''}` : '-';
  const short = (hash: string | null) => hash?.slice(0, 12) ?? '-';
  const same = (changed: boolean) => (changed ? 'changed' : 'same');
  sections.push(
    table(
      ['', 'a', 'b', ''],
      [
        [
          'status',
          ended(c.status.a, c.status.reasonA),
          ended(c.status.b, c.status.reasonB),
          same(c.status.changed),
        ],
        ['data', short(c.dataVersion.a), short(c.dataVersion.b), same(c.dataVersion.changed)],
        ['code', git(c.git.a), git(c.git.b), same(c.git.changed)],
        ['backend', c.backend.a ?? '-', c.backend.b ?? '-', same(c.backend.changed)],
        ...c.packages.map((p) => [p.key, p.a ?? '-', p.b ?? '-', 'changed']),
      ],
    ),
  );
  return sections.join('\n\n');
}
