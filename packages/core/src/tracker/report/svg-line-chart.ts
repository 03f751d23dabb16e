import { downsample, type Point } from './downsample.js';
import { formatMetric } from './format.js';
import { escapeHtml } from './html-escape.js';
import { CHART_COLORS, seriesStyle } from './palette.js';
import { renderAxes } from './svg-axes.js';
import { type Area, renderLegend, svgDocument, svgText, svgTitle } from './svg-elements.js';
import { coord, linearScale, niceAxis } from './svg-scale.js';

/** One line of a {@link renderLineChart} chart. */
export interface LineSeries {
  /** Legend label. */
  label: string;
  /** `[x, y]` points in x order; a NaN `y` leaves a gap. */
  points: readonly Point[];
  /** Stroke color; default from the palette by position. */
  color?: string;
  /** Dash pattern; default from the palette by position. */
  dash?: string;
}

/** Options of {@link renderLineChart}. */
export interface LineChartOptions {
  /** Title drawn above the plot. */
  title: string;
  /** The lines. */
  series: readonly LineSeries[];
  /** Title of the x axis. */
  xLabel?: string;
  /** Title of the y axis. */
  yLabel?: string;
  /** Whole-number x ticks (steps, epochs). Default true. */
  integerX?: boolean;
  /** Total width. Default 520. */
  width?: number;
  /** Total height. Default 300. */
  height?: number;
}

/** Most points drawn per series. */
const MAX_POINTS = 800;
/** Series with at most this many points get a dot (with a tooltip) at each point. */
const MAX_MARKED_POINTS = 60;

/** A line chart as an SVG string: grid, axes with ticks, one line per series, legend on top. */
export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? 520;
  const height = options.height ?? 300;
  const series = options.series.map((s, i) => {
    const style = seriesStyle(i);
    return {
      label: s.label,
      color: s.color ?? style.color,
      dash: s.dash ?? style.dash,
      points: downsample(s.points, MAX_POINTS),
    };
  });
  // A lone series named like the chart needs no legend.
  const redundant = series.length === 1 && series[0]!.label === options.title;
  const legend = redundant
    ? { svg: '', height: 0 }
    : renderLegend(series, { x: 64, y: 34, maxWidth: width - 80 });
  const area: Area = { left: 64, top: 34 + legend.height + 8, width: width - 64 - 18, height: 0 };
  area.height = height - area.top - 46;

  const finite = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  if (finite.length === 0) {
    return svgDocument(
      width,
      height,
      options.title,
      `${svgTitle(8, options.title)}${svgText(width / 2, height / 2, 'no data', { 'text-anchor': 'middle', fill: CHART_COLORS.muted })}`,
    );
  }
  const xs = finite.map(([x]) => x);
  const ys = finite.map(([, y]) => y);
  const xAxis = niceAxis(Math.min(...xs), Math.max(...xs), {
    integer: options.integerX ?? true,
    maxTicks: 8,
  });
  const yAxis = niceAxis(Math.min(...ys), Math.max(...ys));
  const xScale = linearScale(xAxis.min, xAxis.max, area.left, area.left + area.width);
  const yScale = linearScale(yAxis.min, yAxis.max, area.top + area.height, area.top);

  const axisSpec = { area, x: xAxis, y: yAxis, xScale, yScale };
  const lines = series.map((s) => {
    const dash = s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : '';
    const path = `<path d="${pathThrough(s.points, xScale, yScale)}" fill="none" stroke="${escapeHtml(s.color)}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dash}/>`;
    const marks =
      s.points.length <= MAX_MARKED_POINTS
        ? s.points
            .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
            .map(
              ([x, y]) =>
                `<circle cx="${coord(xScale(x))}" cy="${coord(yScale(y))}" r="2.5" fill="${escapeHtml(s.color)}"><title>${escapeHtml(`${s.label} @ ${x}: ${formatMetric(y)}`)}</title></circle>`,
            )
            .join('')
        : '';
    return `<g>${path}${marks}</g>`;
  });
  const body = [
    svgTitle(8, options.title),
    legend.svg,
    renderAxes({ ...axisSpec, xLabel: options.xLabel, yLabel: options.yLabel }),
    ...lines,
  ].join('');
  return svgDocument(width, height, options.title, body);
}

/**
 * An SVG path `d` through `points`, starting a new sub-path after each gap (a non-finite value)
 * so a missing epoch shows as a break rather than a misleading straight line.
 */
export function pathThrough(
  points: readonly Point[],
  xScale: (value: number) => number,
  yScale: (value: number) => number,
): string {
  let d = '';
  let drawing = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      drawing = false;
      continue;
    }
    d += `${drawing ? 'L' : 'M'}${coord(xScale(x))} ${coord(yScale(y))}`;
    drawing = true;
  }
  return d;
}
