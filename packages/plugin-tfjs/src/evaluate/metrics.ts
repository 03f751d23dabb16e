/**
 * Classification metrics over plain arrays. `scores` are row-major `[n, K]` (logits or
 * probabilities — every metric here except the loss depends only on their order within a row or
 * a column), `labels` are class indices.
 */

/** Index of the largest score of each row (the first one on ties, like `argMax`). */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  const n = Math.floor(scores.length / numClasses);
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    let bestScore = scores[r * numClasses]!;
    for (let c = 1; c < numClasses; c++) {
      const s = scores[r * numClasses + c]!;
      if (s > bestScore) {
        best = c;
        bestScore = s;
      }
    }
    out[r] = best;
  }
  return out;
}

/**
 * Fraction of rows whose true class is among the `k` highest scores. A tie with the true class
 * ranks the lower class index first — the order `argMax`/`topk` use — so top-1 equals accuracy of
 * {@link argmaxRows} and ties never count in a prediction's favour twice. `k >= K` gives 1.
 */
export function topKAccuracy(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  k: number,
): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const y = labels[r]!;
    const trueScore = scores[r * numClasses + y]!;
    let rank = 0;
    for (let c = 0; c < numClasses && rank < k; c++) {
      const s = scores[r * numClasses + c]!;
      if (s > trueScore || (s === trueScore && c < y)) rank++;
    }
    if (rank < k) correct++;
  }
  return correct / n;
}

/** Confusion matrix `[K][K]` of counts: rows are true classes, columns predicted classes. */
export function confusionMatrix(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): number[][] {
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) matrix[labels[i]!]![predicted[i]!]! += 1;
  return matrix;
}

/**
 * Mean cross-entropy from probabilities, with label smoothing `s` as in training
 * (`(1 − s)·(−log p_y) + s·mean_k(−log p_k)`). Probabilities are clamped at 1e-12 so a confident
 * mistake costs ~27.6 instead of Infinity.
 */
export function meanCrossEntropy(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  smoothing = 0,
): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const nll = -Math.log(Math.max(probabilities[r * numClasses + labels[r]!]!, 1e-12));
    let smooth = 0;
    if (smoothing > 0) {
      for (let c = 0; c < numClasses; c++)
        smooth -= Math.log(Math.max(probabilities[r * numClasses + c]!, 1e-12));
      smooth /= numClasses;
    }
    total += (1 - smoothing) * nll + smoothing * smooth;
  }
  return total / n;
}

/** A ROC curve: false- and true-positive rates, from threshold +∞ (0, 0) down to −∞ (1, 1). */
export interface RocCurve {
  /** False-positive rate of each point, non-decreasing. */
  fpr: number[];
  /** True-positive rate of each point, non-decreasing. */
  tpr: number[];
}

/**
 * The exact ROC curve of `scores` against binary `isPositive`: one point per distinct score
 * (all samples with an equal score cross the threshold together, so ties give a diagonal
 * segment rather than an order-dependent staircase). NaN scores rank lowest. Returns empty arrays
 * when there are no positives or no negatives (the curve is undefined).
 */
export function rocCurve(scores: ArrayLike<number>, isPositive: ArrayLike<boolean | number>): RocCurve {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (isPositive[i]) positives++;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return { fpr: [], tpr: [] };
  const key = (i: number): number => (Number.isNaN(scores[i]!) ? Number.NEGATIVE_INFINITY : scores[i]!);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    const threshold = key(order[i]!);
    // Consume the whole group of equal scores before emitting a point.
    while (i < n && key(order[i]!) === threshold) {
      if (isPositive[order[i]!]) tp++;
      else fp++;
      i++;
    }
    fpr.push(fp / negatives);
    tpr.push(tp / positives);
  }
  return { fpr, tpr };
}

/** Area under a curve by the trapezoid rule. */
export function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}

/**
 * Exact ROC AUC: the trapezoid area under the full {@link rocCurve}, which equals the
 * Mann–Whitney probability that a random positive scores above a random negative, ties counting
 * ½. NaN when there are no positives or no negatives.
 */
export function rocAuc(scores: ArrayLike<number>, isPositive: ArrayLike<boolean | number>): number {
  const curve = rocCurve(scores, isPositive);
  return curve.fpr.length === 0 ? Number.NaN : trapezoidArea(curve.fpr, curve.tpr);
}

/**
 * At most `maxPoints` points of a curve for storage and plotting, always including both ends.
 * Points are picked evenly along the curve's length (|Δfpr| + |Δtpr|), not by index, so the
 * corner of a near-perfect curve (0, 1) survives even when thousands of points lead up to it.
 * Every kept point lies on the original curve.
 */
export function downsampleCurve(curve: RocCurve, maxPoints = 101): RocCurve {
  const m = curve.fpr.length;
  if (m <= maxPoints) return { fpr: [...curve.fpr], tpr: [...curve.tpr] };
  if (maxPoints < 2) throw new Error(`maxPoints must be at least 2, got ${maxPoints}`);
  const length = new Float64Array(m);
  for (let i = 1; i < m; i++) {
    length[i] =
      length[i - 1]! +
      Math.abs(curve.fpr[i]! - curve.fpr[i - 1]!) +
      Math.abs(curve.tpr[i]! - curve.tpr[i - 1]!);
  }
  const total = length[m - 1]!;
  const kept: number[] = [];
  for (let j = 0; j < maxPoints; j++) {
    const target = (total * j) / (maxPoints - 1);
    // Binary search for the first point at or beyond the target, then take the nearer neighbour.
    let lo = 0;
    let hi = m - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (length[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    const index = lo > 0 && target - length[lo - 1]! < length[lo]! - target ? lo - 1 : lo;
    if (kept[kept.length - 1] !== index) kept.push(index);
  }
  if (kept[0] !== 0) kept.unshift(0);
  if (kept[kept.length - 1] !== m - 1) kept.push(m - 1);
  return { fpr: kept.map((i) => curve.fpr[i]!), tpr: kept.map((i) => curve.tpr[i]!) };
}

/** One class's one-vs-rest ROC. */
export interface ClassRoc {
  /** Class index. */
  classIndex: number;
  /** Exact AUC over all thresholds; NaN when the class has no positives or no negatives. */
  auc: number;
  /** Downsampled false-positive rates (empty when undefined). */
  fpr: number[];
  /** Downsampled true-positive rates (empty when undefined). */
  tpr: number[];
}

/**
 * Per-class one-vs-rest ROC: class `c`'s score column against `label === c`. The AUC is computed
 * on the full curve, the stored curve is downsampled to `maxPoints`.
 */
export function oneVsRestRoc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  maxPoints = 101,
): ClassRoc[] {
  const n = labels.length;
  const column = new Float64Array(n);
  const isPositive = new Uint8Array(n);
  const result: ClassRoc[] = [];
  for (let c = 0; c < numClasses; c++) {
    for (let r = 0; r < n; r++) {
      column[r] = scores[r * numClasses + c]!;
      isPositive[r] = labels[r] === c ? 1 : 0;
    }
    const curve = rocCurve(column, isPositive);
    const auc = curve.fpr.length === 0 ? Number.NaN : trapezoidArea(curve.fpr, curve.tpr);
    const stored = downsampleCurve(curve, maxPoints);
    result.push({ classIndex: c, auc, fpr: stored.fpr, tpr: stored.tpr });
  }
  return result;
}

/** Mean of the finite values (classes with an undefined AUC are left out); NaN if none. */
export function macroAverage(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
}
