/** A point of a series: `[x, y]`; `y` may be NaN for a gap. */
export type Point = readonly [number, number];

/**
 * At most `maxPoints` points of `points`, evenly strided, always keeping the first and the last
 * (a per-batch loss of a long run has 100k points; a chart 500 px wide shows no more anyway).
 */
export function downsample(points: readonly Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints || maxPoints < 2) return [...points];
  const stride = (points.length - 1) / (maxPoints - 1);
  const kept: Point[] = [];
  for (let i = 0; i < maxPoints; i++) kept.push(points[Math.round(i * stride)]!);
  return kept;
}
