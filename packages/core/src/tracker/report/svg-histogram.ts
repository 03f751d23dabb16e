import { formatMetric } from './format.js';
import { CHART_COLORS, SERIES_COLORS } from './palette.js';
import { svgDocument, svgText } from './svg-elements.js';
import { coord } from './svg-scale.js';

/** Options of {@link renderHistogramChart}. */
export interface HistogramChartOptions {
  /** Title, e.g. `grad/conv1 @ 5`. */
  title: string;
  /** Counts of equal-width bins spanning `[min, max]`. */
  bins: readonly number[];
  /** Lower edge of the first bin. */
  min: number;
  /** Upper edge of the last bin. */
  max: number;
  /** A second line under the title, e.g. `n=1200 mean=0.01 std=0.2`. */
  subtitle?: string;
  /** Total width. Default 260. */
  width?: number;
  /** Total height. Default 150. */
  height?: number;
}

/** A small bar chart of a histogram: bars, value range on x, the largest count on y. */
export function renderHistogramChart(options: HistogramChartOptions): string {
  const width = options.width ?? 260;
  const height = options.height ?? 150;
  const left = 40;
  const top = options.subtitle ? 40 : 26;
  const plotWidth = width - left - 10;
  const plotHeight = height - top - 24;
  const bottom = top + plotHeight;
  const peak = Math.max(0, ...options.bins.filter(Number.isFinite));
  const barWidth = options.bins.length > 0 ? plotWidth / options.bins.length : plotWidth;

  const bars = options.bins.map((count, i) => {
    const h = peak > 0 && Number.isFinite(count) ? (count / peak) * plotHeight : 0;
    const x = left + i * barWidth;
    return `<rect x="${coord(x)}" y="${coord(bottom - h)}" width="${coord(Math.max(0.5, barWidth - 1))}" height="${coord(h)}" fill="${SERIES_COLORS[0]}" fill-opacity="0.85"/>`;
  });
  const parts = [
    svgText(6, 15, options.title, { 'font-size': 12, 'font-weight': 600 }),
    options.subtitle ? svgText(6, 30, options.subtitle, { fill: CHART_COLORS.muted, 'font-size': 10 }) : '',
    ...bars,
    `<line x1="${left}" y1="${coord(bottom)}" x2="${coord(left + plotWidth)}" y2="${coord(bottom)}" stroke="${CHART_COLORS.axis}"/>`,
    `<line x1="${left}" y1="${coord(top)}" x2="${left}" y2="${coord(bottom)}" stroke="${CHART_COLORS.axis}"/>`,
    svgText(left - 4, top + 8, String(peak), { 'text-anchor': 'end', 'font-size': 10 }),
    svgText(left - 4, bottom, '0', { 'text-anchor': 'end', 'font-size': 10 }),
    svgText(left, bottom + 14, formatMetric(options.min), { 'font-size': 10 }),
    svgText(left + plotWidth, bottom + 14, formatMetric(options.max), {
      'text-anchor': 'end',
      'font-size': 10,
    }),
  ];
  return svgDocument(width, height, options.title, parts.join(''));
}
