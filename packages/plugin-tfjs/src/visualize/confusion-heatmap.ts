import { type Rgba, RgbaCanvas } from './rgba-canvas.js';

/** Cell size bounds, pixels: large enough to see, small enough for 1000 classes. */
const MAX_CELL = 40;
const MIN_CELL = 1;
const TARGET_SIZE = 480;

/** White (0) to dark blue (1), the usual confusion-matrix palette. */
function blues(t: number): Rgba {
  const c = Math.min(1, Math.max(0, t));
  return [Math.round(247 - 239 * c), Math.round(251 - 203 * c), Math.round(255 - 148 * c), 255];
}

/**
 * A confusion matrix (rows = true class, columns = predicted) as a heatmap PNG, each row
 * normalized by its count so that classes of different sizes read alike; a 1-pixel grid
 * separates cells when they are large enough for it.
 */
export function renderConfusionHeatmap(matrix: readonly (readonly number[])[]): Uint8Array {
  const n = matrix.length;
  if (n === 0 || matrix.some((row) => row.length !== n)) {
    throw new RangeError(`renderConfusionHeatmap: expected a square matrix, got ${n} rows`);
  }
  const cell = Math.max(MIN_CELL, Math.min(MAX_CELL, Math.floor(TARGET_SIZE / n)));
  const grid = cell >= 8 ? 1 : 0;
  const canvas = new RgbaCanvas(n * cell + grid, n * cell + grid, [200, 200, 200, 255]);
  for (let r = 0; r < n; r++) {
    const row = matrix[r] as readonly number[];
    const total = row.reduce((sum, v) => sum + v, 0);
    for (let c = 0; c < n; c++) {
      const share = total > 0 ? (row[c] as number) / total : 0;
      canvas.fillRect(c * cell + grid, r * cell + grid, cell - grid, cell - grid, blues(share));
    }
  }
  return canvas.toPng();
}
