import { downsample, type Point } from './downsample.js';
import { escapeHtml } from './html-escape.js';
import { CHART_COLORS, seriesStyle } from './palette.js';
import { renderAxes } from './svg-axes.js';
import { type Area, renderLegend, svgDocument, svgText, svgTitle, truncateLabel } from './svg-elements.js';
import { pathThrough } from './svg-line-chart.js';
import { coord, linearScale, niceAxis } from './svg-scale.js';

/** One one-vs-rest ROC curve. */
export interface RocCurve {
  /** Class label. */
  label: string;
  /** Area under the curve; computed from the points when not finite. */
  auc: number;
  /** False positive rates, in curve order. */
  fpr: readonly number[];
  /** True positive rates, aligned with `fpr`. */
  tpr: readonly number[];
}

/** Options of {@link renderRocChart}. */
export interface RocChartOptions {
  /** The curves, one per class. */
  curves: readonly RocCurve[];
  /** Title. Default: `ROC, one-vs-rest` with the macro AUC. */
  title?: string;
}

/** Side of the square plot. */
const PLOT_SIZE = 300;
/** Most points drawn per curve. */
const MAX_POINTS = 400;

/**
 * ROC curves (one per class, one-vs-rest) on a square unit plot with the chance diagonal, and a
 * legend listing each class with its AUC.
 */
export function renderRocChart(options: RocChartOptions): string {
  const curves = options.curves.map((curve) => ({
    ...curve,
    auc: Number.isFinite(curve.auc) ? curve.auc : trapezoidAuc(curve),
  }));
  const macro = curves.length > 0 ? curves.reduce((sum, c) => sum + c.auc, 0) / curves.length : Number.NaN;
  const title =
    options.title ?? `ROC, one-vs-rest${Number.isFinite(macro) ? ` (macro AUC ${macro.toFixed(3)})` : ''}`;
  const area: Area = { left: 64, top: 34, width: PLOT_SIZE, height: PLOT_SIZE };
  const axis = niceAxis(0, 1, { maxTicks: 6 });
  const xScale = linearScale(0, 1, area.left, area.left + area.width);
  const yScale = linearScale(0, 1, area.top + area.height, area.top);
  const thin = curves.length > 12;

  const items = curves.map((curve, i) => ({
    ...seriesStyle(i),
    // Cut the class name, never the AUC; the tooltip keeps the full name.
    label: `${truncateLabel(curve.label, 24)} (AUC ${curve.auc.toFixed(3)})`,
    tooltip: `${curve.label} (AUC ${curve.auc.toFixed(3)})`,
  }));
  const legendX = area.left + area.width + 24;
  const legend = renderLegend(items, { x: legendX, y: area.top + 6, maxWidth: 260, vertical: true });
  const width = legendX + Math.max(120, legend.width) + 8;
  const height = Math.max(area.top + area.height + 48, area.top + legend.height + 12);

  const chance =
    `<line x1="${coord(xScale(0))}" y1="${coord(yScale(0))}" x2="${coord(xScale(1))}" y2="${coord(yScale(1))}" ` +
    `stroke="${CHART_COLORS.muted}" stroke-width="1" stroke-dasharray="4 4"><title>chance (AUC 0.5)</title></line>`;
  const lines = curves.map((curve, i) => {
    const style = items[i]!;
    const dash = style.dash ? ` stroke-dasharray="${escapeHtml(style.dash)}"` : '';
    return (
      `<path d="${pathThrough(curvePoints(curve), xScale, yScale)}" fill="none" stroke="${escapeHtml(style.color)}" ` +
      `stroke-width="${thin ? 1.25 : 2}" stroke-linejoin="round"${dash}><title>${escapeHtml(style.tooltip)}</title></path>`
    );
  });
  const body = [
    svgTitle(8, title),
    renderAxes({
      area,
      x: axis,
      y: axis,
      xScale,
      yScale,
      xLabel: 'false positive rate',
      yLabel: 'true positive rate',
    }),
    chance,
    ...lines,
    legend.svg,
    curves.length === 0
      ? svgText(xScale(0.5), yScale(0.5), 'no curves', { 'text-anchor': 'middle', fill: CHART_COLORS.muted })
      : '',
  ].join('');
  return svgDocument(width, height, title, body);
}

/** Area under a curve by the trapezoid rule, over its points sorted by false positive rate. */
export function trapezoidAuc(curve: Pick<RocCurve, 'fpr' | 'tpr'>): number {
  const points = curvePoints(curve)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area;
}

function curvePoints(curve: Pick<RocCurve, 'fpr' | 'tpr'>): Point[] {
  const length = Math.min(curve.fpr.length, curve.tpr.length);
  const points: Point[] = [];
  for (let i = 0; i < length; i++) points.push([curve.fpr[i]!, curve.tpr[i]!]);
  return downsample(points, MAX_POINTS);
}
