import { escapeHtml } from './html-escape.js';
import { CHART_COLORS } from './palette.js';
import { coord } from './svg-scale.js';

/** A rectangle of the drawing, in SVG user units. */
export interface Area {
  /** Left edge. */
  left: number;
  /** Top edge. */
  top: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/** One legend entry. */
export interface LegendItem {
  /** Label text (escaped when drawn). */
  label: string;
  /** Line color. */
  color: string;
  /** `stroke-dasharray`, empty for solid. */
  dash?: string;
  /** Tooltip text. Default: the label. */
  tooltip?: string;
}

/** A drawn legend and the room it takes. */
export interface RenderedLegend {
  /** SVG markup. */
  svg: string;
  /** Height used. */
  height: number;
  /** Width used. */
  width: number;
}

/** Font size of legend and tick text. */
const SMALL_FONT = 11;
/** Height of one legend row. */
const LEGEND_ROW = 16;
/** Longest label drawn in full; longer ones are cut (the full text stays in a tooltip). */
const MAX_LABEL_CHARS = 36;

/**
 * The `<svg>` element around a chart: scales to its container (viewBox), carries an accessible
 * name, and sets the font once. `body` must already be escaped markup.
 */
export function svgDocument(width: number, height: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${coord(width)} ${coord(height)}" ` +
    `width="${coord(width)}" height="${coord(height)}" role="img" aria-label="${escapeHtml(title)}" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${SMALL_FONT}" fill="${CHART_COLORS.text}">` +
    `<title>${escapeHtml(title)}</title>${body}</svg>`
  );
}

/** A `<text>` element with escaped content; `attributes` values are escaped too. */
export function svgText(
  x: number,
  y: number,
  text: string,
  attributes: Record<string, string | number> = {},
): string {
  const extra = Object.entries(attributes)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  return `<text x="${coord(x)}" y="${coord(y)}"${extra}>${escapeHtml(text)}</text>`;
}

/** A chart title, bold, at the top left. */
export function svgTitle(x: number, text: string): string {
  return svgText(x, 18, text, { 'font-size': 13, 'font-weight': 600 });
}

/** Rough width of `text` at `fontSize` (no font metrics without a browser; close enough for layout). */
export function estimateTextWidth(text: string, fontSize: number = SMALL_FONT): number {
  return text.length * fontSize * 0.6;
}

/** `text` cut to `maxChars` with an ellipsis. */
export function truncateLabel(text: string, maxChars: number = MAX_LABEL_CHARS): string {
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(1, maxChars - 1))}…`;
}

/**
 * A legend of line samples and labels: flowing in rows within `maxWidth`, or one item per row
 * when `vertical`.
 */
export function renderLegend(
  items: readonly LegendItem[],
  position: { x: number; y: number; maxWidth: number; vertical?: boolean },
): RenderedLegend {
  let x = position.x;
  let y = position.y;
  let widest = 0;
  const parts: string[] = [];
  for (const item of items) {
    const label = truncateLabel(item.label);
    const itemWidth = 26 + estimateTextWidth(label) + 14;
    if (!position.vertical && x > position.x && x + itemWidth > position.x + position.maxWidth) {
      x = position.x;
      y += LEGEND_ROW;
    }
    const dash = item.dash ? ` stroke-dasharray="${escapeHtml(item.dash)}"` : '';
    parts.push(
      `<g><title>${escapeHtml(item.tooltip ?? item.label)}</title>` +
        `<line x1="${coord(x)}" y1="${coord(y)}" x2="${coord(x + 20)}" y2="${coord(y)}" stroke="${escapeHtml(item.color)}" stroke-width="2.5"${dash}/>` +
        `${svgText(x + 26, y + 4, label)}</g>`,
    );
    widest = Math.max(widest, x - position.x + itemWidth);
    if (position.vertical) y += LEGEND_ROW;
    else x += itemWidth;
  }
  const rows = items.length === 0 ? 0 : position.vertical ? items.length : (y - position.y) / LEGEND_ROW + 1;
  return { svg: parts.join(''), height: rows * LEGEND_ROW, width: widest };
}
