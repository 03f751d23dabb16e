import { escapeHtml } from './html-escape.js';
import { CHART_COLORS, sequentialBlue, textOnBlue } from './palette.js';
import { estimateTextWidth, svgDocument, svgText, svgTitle, truncateLabel } from './svg-elements.js';
import { coord } from './svg-scale.js';

/** Options of {@link renderConfusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Counts; rows = true class, columns = predicted class. */
  matrix: readonly (readonly number[])[];
  /** Class labels in row/column order (missing ones show as their index). */
  labels: readonly string[];
  /** Title. Default `Confusion matrix`. */
  title?: string;
}

/** Longest class label drawn in full beside the matrix. */
const LABEL_CHARS = 16;
/** Room for the axis title outside the labels. */
const AXIS_TITLE = 20;

/**
 * A confusion matrix as an SVG heatmap. Cells are shaded by the share of their row (the recall
 * of the true class), so a small class's mistakes are as visible as a big one's; each cell shows
 * its count when there is room, and always has a tooltip with count and share.
 */
export function renderConfusionMatrix(options: ConfusionMatrixOptions): string {
  const title = options.title ?? 'Confusion matrix';
  const rows = options.matrix.length;
  const columns = Math.max(0, ...options.matrix.map((row) => row.length));
  const label = (i: number) => options.labels[i] ?? String(i);
  const shown = (i: number) => truncateLabel(label(i), LABEL_CHARS);
  const longest = Math.max(1, ...Array.from({ length: Math.max(rows, columns) }, (_, i) => shown(i).length));
  const labelRoom = estimateTextWidth('x'.repeat(longest)) + 10;
  const cell = Math.max(10, Math.min(56, Math.floor(480 / Math.max(1, rows, columns))));

  const left = AXIS_TITLE + labelRoom;
  const top = 34;
  const gridWidth = cell * columns;
  const gridHeight = cell * rows;
  // Column labels are rotated 45°, so they take ~0.71 of their length vertically.
  const bottom = top + gridHeight + labelRoom * 0.71 + 12 + AXIS_TITLE;
  const width = Math.max(left + gridWidth + 90, 320);
  const height = Math.max(bottom + 8, top + 150);

  const parts = [svgTitle(8, title)];
  options.matrix.forEach((row, r) => {
    const total = row.reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0);
    for (let c = 0; c < columns; c++) {
      const count = row[c] ?? 0;
      const share = total > 0 && Number.isFinite(count) ? count / total : 0;
      const tooltip = `true ${label(r)}, predicted ${label(c)}: ${count} (${(share * 100).toFixed(1)}% of ${label(r)})`;
      parts.push(
        cellMarkup({
          x: left + c * cell,
          y: top + r * cell,
          size: cell,
          count,
          share,
          diagonal: r === c,
          tooltip,
        }),
      );
    }
  });
  for (let r = 0; r < rows; r++) {
    parts.push(svgText(left - 6, top + r * cell + cell / 2 + 4, shown(r), { 'text-anchor': 'end' }));
  }
  for (let c = 0; c < columns; c++) {
    const x = left + c * cell + cell / 2;
    const y = top + gridHeight + 10;
    parts.push(
      svgText(x, y, shown(c), { 'text-anchor': 'end', transform: `rotate(-45 ${coord(x)} ${coord(y)})` }),
    );
  }
  const rowsMiddle = top + gridHeight / 2;
  parts.push(
    svgText(12, rowsMiddle, 'true class', {
      'text-anchor': 'middle',
      fill: CHART_COLORS.muted,
      transform: `rotate(-90 12 ${coord(rowsMiddle)})`,
    }),
    svgText(left + gridWidth / 2, bottom - 6, 'predicted class', {
      'text-anchor': 'middle',
      fill: CHART_COLORS.muted,
    }),
    colorBar(left + gridWidth + 20, top, Math.min(gridHeight, 200)),
  );
  return svgDocument(width, height, title, parts.join(''));
}

/** One heatmap cell: where, its count, its share of the row, and its tooltip text. */
interface Cell {
  x: number;
  y: number;
  size: number;
  count: number;
  share: number;
  diagonal: boolean;
  tooltip: string;
}

function cellMarkup(cell: Cell): string {
  const { x, y, size, count, share } = cell;
  const outline = cell.diagonal
    ? ` stroke="${CHART_COLORS.axis}" stroke-width="1"`
    : ' stroke="#ffffff" stroke-width="0.5"';
  const rect = `<rect x="${coord(x)}" y="${coord(y)}" width="${coord(size)}" height="${coord(size)}" fill="${sequentialBlue(share)}"${outline}><title>${escapeHtml(cell.tooltip)}</title></rect>`;
  const text = String(count);
  // Counts only where they fit; the tooltip carries them for small cells.
  const fontSize = Math.min(13, size * 0.34);
  if (size < 18 || estimateTextWidth(text, fontSize) > size - 4) return rect;
  return `${rect}${svgText(x + size / 2, y + size / 2 + fontSize * 0.35, text, {
    'text-anchor': 'middle',
    'font-size': coord(fontSize),
    fill: textOnBlue(share),
    'pointer-events': 'none',
  })}`;
}

/** A vertical key of the shading: 0% of the row at the bottom, 100% at the top. */
function colorBar(x: number, y: number, height: number): string {
  const steps = 10;
  const parts: string[] = [];
  for (let i = 0; i < steps; i++) {
    const t = 1 - i / (steps - 1);
    parts.push(
      `<rect x="${coord(x)}" y="${coord(y + (i * height) / steps)}" width="12" height="${coord(height / steps + 0.5)}" fill="${sequentialBlue(t)}"/>`,
    );
  }
  parts.push(
    `<rect x="${coord(x)}" y="${coord(y)}" width="12" height="${coord(height)}" fill="none" stroke="${CHART_COLORS.axis}" stroke-width="0.5"/>`,
    svgText(x + 16, y + 8, '100%'),
    svgText(x + 16, y + height, '0%'),
    svgText(x + 16, y + height / 2 + 4, 'of row', { fill: CHART_COLORS.muted }),
  );
  return parts.join('');
}
