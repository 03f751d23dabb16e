import { CHART_COLORS } from './palette.js';
import { type Area, svgText } from './svg-elements.js';
import { coord, formatTick, type NiceAxis } from './svg-scale.js';

/** What {@link renderAxes} draws. */
export interface AxesSpec {
  /** The plot rectangle. */
  area: Area;
  /** Horizontal axis. */
  x: NiceAxis;
  /** Vertical axis. */
  y: NiceAxis;
  /** Maps an x value to a horizontal position. */
  xScale: (value: number) => number;
  /** Maps a y value to a vertical position. */
  yScale: (value: number) => number;
  /** Title under the x axis. */
  xLabel?: string;
  /** Title left of the y axis, rotated. */
  yLabel?: string;
  /** Most x tick labels drawn (the rest of the ticks keep their grid line). Default 10. */
  maxXLabels?: number;
}

/** Grid lines, the two axis lines, ticks with labels and the axis titles of a chart. */
export function renderAxes(spec: AxesSpec): string {
  const { area, x, y, xScale, yScale } = spec;
  const bottom = area.top + area.height;
  const right = area.left + area.width;
  const parts: string[] = [];
  const stroke = `stroke="${CHART_COLORS.grid}" stroke-width="1"`;
  for (const tick of y.ticks) {
    const py = coord(yScale(tick));
    parts.push(`<line x1="${coord(area.left)}" y1="${py}" x2="${coord(right)}" y2="${py}" ${stroke}/>`);
    parts.push(svgText(area.left - 6, yScale(tick) + 4, formatTick(tick, y), { 'text-anchor': 'end' }));
  }
  const labelEvery = Math.max(1, Math.ceil(x.ticks.length / (spec.maxXLabels ?? 10)));
  x.ticks.forEach((tick, i) => {
    const px = coord(xScale(tick));
    parts.push(`<line x1="${px}" y1="${coord(area.top)}" x2="${px}" y2="${coord(bottom)}" ${stroke}/>`);
    parts.push(
      `<line x1="${px}" y1="${coord(bottom)}" x2="${px}" y2="${coord(bottom + 4)}" stroke="${CHART_COLORS.axis}"/>`,
    );
    if (i % labelEvery === 0)
      parts.push(svgText(xScale(tick), bottom + 16, formatTick(tick, x), { 'text-anchor': 'middle' }));
  });
  const axisStroke = `stroke="${CHART_COLORS.axis}" stroke-width="1"`;
  parts.push(
    `<line x1="${coord(area.left)}" y1="${coord(bottom)}" x2="${coord(right)}" y2="${coord(bottom)}" ${axisStroke}/>`,
  );
  parts.push(
    `<line x1="${coord(area.left)}" y1="${coord(area.top)}" x2="${coord(area.left)}" y2="${coord(bottom)}" ${axisStroke}/>`,
  );
  if (spec.xLabel) {
    parts.push(
      svgText(area.left + area.width / 2, bottom + 34, spec.xLabel, {
        'text-anchor': 'middle',
        fill: CHART_COLORS.muted,
      }),
    );
  }
  if (spec.yLabel) {
    const cx = area.left - 46;
    const cy = area.top + area.height / 2;
    parts.push(
      svgText(cx, cy, spec.yLabel, {
        'text-anchor': 'middle',
        fill: CHART_COLORS.muted,
        transform: `rotate(-90 ${coord(cx)} ${coord(cy)})`,
      }),
    );
  }
  return parts.join('');
}
