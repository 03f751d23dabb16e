/**
 * The sweep's page, `sweeps/<id>/report.html`: a parallel-coordinates plot (one axis per key and
 * one for the metric; one line per trial, coloured by its metric, the best one thick, pruned ones
 * dashed grey), the best trial with the command that shows its run, the importance of each key
 * (see `importance.ts`) and every trial. Self-contained like the run report: inline SVG and CSS.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-write.js';
import { escapeHtml } from '../tracker/report/html-escape.js';
import { CHART_COLORS, sequentialBlue } from '../tracker/report/palette.js';
import { reportPage } from '../tracker/report/report-style.js';
import { svgDocument, svgText, svgTitle, truncateLabel } from '../tracker/report/svg-elements.js';
import { coord } from '../tracker/report/svg-scale.js';
import { type ParameterImportance, parameterImportance } from './importance.js';
import { type ParameterDomain, searchSpace, toInternal } from './search-space.js';
import type { SweepRecord, TrialRecord } from './sweep-record.js';

/** One vertical axis of the plot: where a trial's value sits on it, in [0, 1] (1 at the top). */
interface PlotAxis {
  label: string;
  position: (trial: TrialRecord) => number | undefined;
  ticks: { at: number; text: string }[];
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return String(Number(value.toPrecision(4)));
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function parameterAxis(domain: ParameterDomain): PlotAxis {
  if (domain.kind === 'numeric') {
    const span = domain.high - domain.low;
    const at = (value: number) => (toInternal(domain, value) - domain.low) / span;
    const ends = domain.log ? [Math.exp(domain.low), Math.exp(domain.high)] : [domain.low, domain.high];
    return {
      label: domain.path,
      position: (t) => {
        const v = t.params[domain.path];
        return typeof v === 'number' ? Math.min(1, Math.max(0, at(v))) : undefined;
      },
      ticks: [
        { at: 0, text: formatValue(domain.q === 1 ? Math.round(ends[0] as number) : ends[0]) },
        { at: 1, text: formatValue(domain.q === 1 ? Math.round(ends[1] as number) : ends[1]) },
      ],
    };
  }
  const choices = domain.kind === 'categorical' ? domain.choices : [domain.value];
  const keys = choices.map((c) => JSON.stringify(c));
  const place = (i: number) => (choices.length === 1 ? 0.5 : i / (choices.length - 1));
  return {
    label: domain.path,
    position: (t) => {
      const i = keys.indexOf(JSON.stringify(t.params[domain.path]));
      return i < 0 ? undefined : place(i);
    },
    ticks: choices.map((c, i) => ({ at: place(i), text: formatValue(c) })),
  };
}

/** The parallel-coordinates SVG of the sweep's trials. */
export function renderParallelCoordinates(record: SweepRecord): string {
  const space = searchSpace(record.spec).filter((d) => d.kind !== 'constant');
  const shown = record.trials.filter(
    (t) => t.value !== undefined && (t.status === 'succeeded' || t.status === 'pruned'),
  );
  const values = shown.map((t) => t.value as number);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const metricAt = (t: TrialRecord) => (hi === lo ? 0.5 : ((t.value as number) - lo) / (hi - lo));
  const axes: PlotAxis[] = [
    ...space.map((d) => parameterAxis(d)),
    {
      label: record.spec.metric.name,
      position: (t) => (t.value === undefined ? undefined : metricAt(t)),
      ticks: values.length
        ? [
            { at: 0, text: formatValue(lo) },
            { at: 1, text: formatValue(hi) },
          ]
        : [],
    },
  ];
  const width = Math.max(480, 150 * axes.length + 40);
  const height = 340;
  const top = 48;
  const bottom = height - 48;
  const x = (i: number) => 70 + (i * (width - 140)) / Math.max(1, axes.length - 1);
  const y = (p: number) => bottom - p * (bottom - top);
  const best = bestOf(record);
  const goodness = (t: TrialRecord) =>
    record.spec.metric.goal === 'maximize' ? metricAt(t) : 1 - metricAt(t);
  const lines = [...shown]
    .sort((a, b) => Number(a === best) - Number(b === best) || goodness(a) - goodness(b))
    .map((t) => {
      const points = axes
        .map((axis, i) => {
          const p = axis.position(t);
          return p === undefined ? undefined : `${coord(x(i))},${coord(y(p))}`;
        })
        .filter((p): p is string => p !== undefined);
      const pruned = t.status === 'pruned';
      const stroke = pruned ? '#b0b0b0' : sequentialBlue(0.25 + 0.75 * goodness(t));
      return `<polyline points="${points.join(' ')}" fill="none" stroke="${stroke}" stroke-width="${t === best ? 3.5 : 1.5}"${pruned ? ' stroke-dasharray="4 3"' : ''}><title>trial ${t.index}: ${escapeHtml(record.spec.metric.name)} ${formatValue(t.value)}${pruned ? ` (pruned at epoch ${t.prunedAt})` : ''}</title></polyline>`;
    });
  const axisMarks = axes.map((axis, i) => {
    const ticks = axis.ticks
      .map((tick) =>
        svgText(x(i) + 6, y(tick.at) + 4, truncateLabel(tick.text, 14), { fill: CHART_COLORS.muted }),
      )
      .join('');
    return (
      `<line x1="${coord(x(i))}" y1="${top}" x2="${coord(x(i))}" y2="${bottom}" stroke="${CHART_COLORS.axis}"/>` +
      svgText(x(i), bottom + 22, truncateLabel(axis.label, 22), {
        'text-anchor': 'middle',
        'font-weight': 600,
      }) +
      ticks
    );
  });
  return svgDocument(
    width,
    height,
    `Trials of sweep ${record.name}`,
    svgTitle(10, `Trials (${shown.length}): one line each, darker is better, dashed were pruned`) +
      lines.join('') +
      axisMarks.join(''),
  );
}

function bestOf(record: SweepRecord): TrialRecord | undefined {
  const sign = record.spec.metric.goal === 'maximize' ? 1 : -1;
  return record.trials
    .filter((t) => t.status === 'succeeded' && t.value !== undefined)
    .reduce<TrialRecord | undefined>(
      (b, t) => (!b || sign * (t.value as number) > sign * (b.value as number) ? t : b),
      undefined,
    );
}

function importanceSection(importance: readonly ParameterImportance[]): string {
  if (importance.length === 0) return '<p>Importance needs at least 3 succeeded trials.</p>';
  const rows = importance
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.path)}</td><td><svg width="160" height="12" role="img" aria-label="${p.importance.toFixed(2)}"><rect width="${coord(160 * p.importance)}" height="12" fill="${sequentialBlue(0.7)}"/></svg> ${p.importance.toFixed(2)}</td><td>${p.rankCorrelation === undefined ? '–' : p.rankCorrelation.toFixed(2)}</td></tr>`,
    )
    .join('');
  return `<p>Share of the metric's variance explained by each key alone (η² over equal-count bins: fANOVA's main effect, estimated without a forest), and Spearman's ρ of numeric keys with the metric.</p><table><thead><tr><th>key</th><th>importance (η²)</th><th>rank correlation</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The report page of a sweep. */
export function renderSweepReport(record: SweepRecord, generatedAt = new Date()): string {
  const space = searchSpace(record.spec);
  const best = bestOf(record);
  const importance = parameterImportance(space, record.trials);
  const keys = space.map((d) => d.path);
  const trialRows = record.trials
    .map(
      (t) =>
        `<tr${t === best ? ' class="best"' : ''}><td>${t.index}</td><td>${escapeHtml(t.status)}${t.prunedAt ? ` (epoch ${t.prunedAt})` : ''}</td>${keys.map((k) => `<td>${escapeHtml(formatValue(t.params[k]))}</td>`).join('')}<td>${t.value === undefined ? '–' : escapeHtml(formatValue(t.value))}</td><td>${t.runId ? `<a href="../../runs/${encodeURIComponent(t.runId)}/report.html">${escapeHtml(t.runId)}</a>` : '–'}</td><td>${escapeHtml(t.error ?? t.prunedBecause ?? '')}</td></tr>`,
    )
    .join('');
  const bestHtml = best
    ? `<p>Trial ${best.index}: <strong>${escapeHtml(record.spec.metric.name)} ${escapeHtml(formatValue(best.value))}</strong>, run <code>${escapeHtml(best.runId ?? '–')}</code></p><pre>${escapeHtml(best.overrides.map((o) => `--set ${o}`).join(' '))}</pre>${best.runId ? `<p><code>mlops runs show ${escapeHtml(best.runId)}</code></p>` : ''}`
    : '<p>No trial has succeeded yet.</p>';
  const counts = ['succeeded', 'pruned', 'failed', 'running']
    .map((s) => [s, record.trials.filter((t) => t.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return reportPage(
    `sweep ${record.name} · ${record.project} · mlops report`,
    `<header><h1>Sweep ${escapeHtml(record.name)}</h1><p><code>${escapeHtml(record.id)}</code> · ${escapeHtml(record.spec.method)} · ${escapeHtml(record.spec.metric.goal)} ${escapeHtml(record.spec.metric.name)} · ${escapeHtml(record.status)} · ${escapeHtml(counts || 'no trials')} · on ${escapeHtml(record.executor)}</p></header>
<section id="best"><h2>Best trial</h2>${bestHtml}</section>
<section id="plot"><h2>Parallel coordinates</h2>${renderParallelCoordinates(record)}</section>
<section id="importance"><h2>Importance of each key</h2>${importanceSection(importance)}</section>
<section id="trials"><h2>Trials</h2><table><thead><tr><th>#</th><th>status</th>${keys.map((k) => `<th>${escapeHtml(k)}</th>`).join('')}<th>${escapeHtml(record.spec.metric.name)}</th><th>run</th><th>error</th></tr></thead><tbody>${trialRows}</tbody></table></section>
<footer>Generated by mlops on ${generatedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC. Compare two trials with <code>mlops runs compare &lt;run&gt; &lt;run&gt;</code>.</footer>`,
    ' tr.best td { font-weight: 600; }',
  );
}

/** Writes `report.html` in the sweep's directory atomically; returns its path. */
export async function writeSweepReport(record: SweepRecord, dir: string): Promise<string> {
  const path = join(dir, 'report.html');
  await writeFileAtomic(path, renderSweepReport(record));
  return path;
}
