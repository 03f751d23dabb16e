/**
 * Summary statistics of the benches' repeated measurements, so every bench reports the same
 * median. Not a bench itself: `run-all.mjs` only runs `*.bench.ts`.
 */

/** The median of `values` (the mean of the two middle values for an even count; NaN when empty). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
