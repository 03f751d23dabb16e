import type { HistogramLine } from '../run-files.js';
import type { EvaluationView } from './evaluation-data.js';
import { formatMetric } from './format.js';
import { escapeHtml } from './html-escape.js';
import { groupMetricCharts, type MetricRow } from './metric-series.js';
import { seriesStyle } from './palette.js';
import type { EmbeddedImage } from './run-report-data.js';
import { renderConfusionMatrix } from './svg-heatmap.js';
import { renderHistogramChart } from './svg-histogram.js';
import { renderLineChart } from './svg-line-chart.js';
import { renderRocChart } from './svg-roc.js';

/** HTML of the report's chart sections; each returns '' when it has nothing to show. */

/** Histogram snapshots shown per key (first, last, and evenly between). */
const HISTOGRAM_SNAPSHOTS = 4;

/**
 * Line charts of the metric series: loss, accuracy, learning rate, then the other families.
 * A split keeps its color in every chart (train is always blue, val always orange).
 */
export function curvesSection(rows: readonly MetricRow[]): string {
  const charts = groupMetricCharts(rows);
  if (charts.length === 0) return '';
  const labels = [...new Set(charts.flatMap((chart) => chart.series.map((s) => s.label)))];
  const cards = charts.map((chart) => {
    const svg = renderLineChart({
      title: chart.title,
      xLabel: 'step',
      yLabel: chart.group,
      series: chart.series.map((s) => ({
        label: s.label,
        points: s.points,
        ...seriesStyle(labels.indexOf(s.label)),
      })),
    });
    return `<figure class="card chart" data-metric="${escapeHtml(chart.group)}">${svg}</figure>`;
  });
  return `<section id="curves"><h2>Training curves</h2><div class="grid">${cards.join('')}</div></section>`;
}

/** Confusion matrix and ROC curves of the evaluation. */
export function evaluationSection(evaluation: EvaluationView | undefined): string {
  if (!evaluation || (!evaluation.confusionMatrix && evaluation.roc.length === 0)) return '';
  const cards: string[] = [];
  if (evaluation.confusionMatrix) {
    const svg = renderConfusionMatrix({ matrix: evaluation.confusionMatrix, labels: evaluation.classes });
    cards.push(`<figure class="card chart" id="confusion-matrix">${svg}</figure>`);
  }
  if (evaluation.roc.length > 0) {
    cards.push(`<figure class="card chart" id="roc">${renderRocChart({ curves: evaluation.roc })}</figure>`);
  }
  const split = evaluation.split ? ` <span class="muted">(${escapeHtml(evaluation.split)} split)</span>` : '';
  return `<section id="evaluation"><h2>Evaluation${split}</h2><div class="grid wide">${cards.join('')}</div></section>`;
}

/** Small bar charts of the logged distributions, a few steps per key. */
export function histogramsSection(lines: readonly HistogramLine[]): string {
  if (lines.length === 0) return '';
  const byKey = new Map<string, HistogramLine[]>();
  for (const line of lines) byKey.set(line.key, [...(byKey.get(line.key) ?? []), line]);
  const rows = [...byKey].map(([key, list]) => {
    const snapshots = spread(
      list.sort((a, b) => a.step - b.step),
      HISTOGRAM_SNAPSHOTS,
    );
    const charts = snapshots.map((h) =>
      renderHistogramChart({
        title: `step ${h.step}`,
        subtitle: `n=${h.count} mean=${formatMetric(h.mean)} std=${formatMetric(h.std)}`,
        bins: h.bins,
        min: h.min,
        max: h.max,
      }),
    );
    return `<div class="histogram-row"><h3>${escapeHtml(key)}</h3><div class="row">${charts.join('')}</div></div>`;
  });
  return `<section id="histograms"><h2>Histograms</h2>${rows.join('')}</section>`;
}

/** The logged images, inlined as data URIs. */
export function imagesSection(images: readonly EmbeddedImage[], omitted: number): string {
  if (images.length === 0 && omitted === 0) return '';
  const figures = images.map((image) => {
    const caption = [image.key, `step ${image.step}`, image.caption].filter(Boolean).join(' · ');
    return `<figure class="card image"><img src="${image.dataUri}" alt="${escapeHtml(caption)}" loading="lazy"><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
  });
  const note =
    omitted > 0 ? `<p class="muted">${omitted} more image(s) are in the run's media/ folder.</p>` : '';
  return `<section id="images"><h2>Images</h2><div class="gallery">${figures.join('')}</div>${note}</section>`;
}

/** Up to `count` items of `list`: the first, the last, and evenly spaced between. */
function spread<T>(list: readonly T[], count: number): T[] {
  if (list.length <= count) return [...list];
  const picked = new Set<number>();
  for (let i = 0; i < count; i++) picked.add(Math.round((i * (list.length - 1)) / (count - 1)));
  return [...picked].map((i) => list[i]!);
}
