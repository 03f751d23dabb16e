/**
 * A distribution reduced to equal-width bins plus moments: a few hundred bytes per line however
 * many values (a layer's gradients may have millions), which is what makes logging them per
 * epoch affordable.
 */
export interface HistogramSummary {
  /** Finite values counted. */
  count: number;
  /** Smallest finite value (0 when there are none). */
  min: number;
  /** Largest finite value (0 when there are none). */
  max: number;
  /** Mean of the finite values. */
  mean: number;
  /** Population standard deviation of the finite values. */
  std: number;
  /** Counts of equal-width bins spanning `[min, max]`; the last bin includes `max`. */
  bins: number[];
  /** NaN and infinite values, left out of everything above; present only when non-zero. */
  nonFinite?: number;
}

/** Default number of bins. */
export const DEFAULT_HISTOGRAM_BINS = 30;

/** Reduces `values` to a {@link HistogramSummary} of `binCount` bins, in two passes. */
export function summarizeHistogram(
  values: ArrayLike<number>,
  binCount: number = DEFAULT_HISTOGRAM_BINS,
): HistogramSummary {
  const bins = new Array<number>(Math.max(1, Math.floor(binCount))).fill(0);
  let count = 0;
  let nonFinite = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (count === 0) return withNonFinite({ count, min: 0, max: 0, mean: 0, std: 0, bins }, nonFinite);

  const mean = sum / count;
  const width = (max - min) / bins.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    squares += (v - mean) ** 2;
    // Every value equal (width 0) lands in the first bin; `max` itself belongs to the last bin.
    const index = width > 0 ? Math.min(bins.length - 1, Math.floor((v - min) / width)) : 0;
    bins[index]!++;
  }
  return withNonFinite({ count, min, max, mean, std: Math.sqrt(squares / count), bins }, nonFinite);
}

function withNonFinite(summary: HistogramSummary, nonFinite: number): HistogramSummary {
  return nonFinite > 0 ? { ...summary, nonFinite } : summary;
}
