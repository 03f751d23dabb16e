/**
 * How much each key matters, "fANOVA-lite": the share of the objective's variance explained by
 * the key's main effect, estimated as the correlation ratio η² = Var(E[y | bin of x]) / Var(y)
 * over the succeeded trials. Numeric keys are cut into equal-count bins of their (log, for log
 * distributions) value, `max(2, min(5, floor(sqrt(n))))` of them, so few trials are not split into
 * bins of one (which would explain everything); categorical keys group by value. Full fANOVA
 * (Hutter et al. 2014) fits a random forest and integrates over all keys' interactions; with the
 * dozen trials of a typical sweep its estimate is not steadier than this one. Numeric keys also
 * get Spearman's rank correlation with the objective, whose sign says which way is better.
 */
import type { ParameterDomain } from './search-space.js';
import { toInternal } from './search-space.js';
import type { TrialRecord } from './sweep-record.js';

/** The importance of one key. */
export interface ParameterImportance {
  /** Config path. */
  path: string;
  /** η² in [0, 1]: the share of the objective's variance its main effect explains. */
  importance: number;
  /** Spearman's ρ between the value and the objective (numeric keys). */
  rankCorrelation?: number;
  /** Trials the estimate used. */
  trials: number;
}

/** Importance of every non-constant key, most important first; empty below 3 succeeded trials. */
export function parameterImportance(
  space: readonly ParameterDomain[],
  trials: readonly TrialRecord[],
): ParameterImportance[] {
  const done = trials.filter((t) => t.status === 'succeeded' && t.value !== undefined);
  if (done.length < 3) return [];
  const y = done.map((t) => t.value as number);
  const result: ParameterImportance[] = [];
  for (const domain of space) {
    if (domain.kind === 'constant') continue;
    let groups: number[];
    let rankCorrelation: number | undefined;
    if (domain.kind === 'categorical') {
      const keys = done.map((t) => JSON.stringify(t.params[domain.path]));
      const distinct = [...new Set(keys)];
      groups = keys.map((k) => distinct.indexOf(k));
    } else {
      const x = done.map((t) => toInternal(domain, Number(t.params[domain.path])));
      const bins = Math.max(2, Math.min(5, Math.floor(Math.sqrt(done.length))));
      const order = ranks(x);
      groups = order.map((r) => Math.min(bins - 1, Math.floor(((r - 1) * bins) / done.length)));
      rankCorrelation = pearson(order, ranks(y));
    }
    result.push({
      path: domain.path,
      importance: correlationRatio(groups, y),
      ...(rankCorrelation === undefined || Number.isNaN(rankCorrelation) ? {} : { rankCorrelation }),
      trials: done.length,
    });
  }
  return result.sort((a, b) => b.importance - a.importance);
}

/** η²: between-group variance over total variance (0 when the objective does not vary). */
export function correlationRatio(groups: readonly number[], y: readonly number[]): number {
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  const total = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  if (total === 0) return 0;
  const sums = new Map<number, { sum: number; n: number }>();
  groups.forEach((g, i) => {
    const entry = sums.get(g) ?? { sum: 0, n: 0 };
    entry.sum += y[i] as number;
    entry.n += 1;
    sums.set(g, entry);
  });
  let between = 0;
  for (const { sum, n } of sums.values()) between += n * (sum / n - mean) ** 2;
  return Math.min(1, between / total);
}

/** 1-based ranks, ties averaged. */
function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const result = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (
      j + 1 < order.length &&
      (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]
    )
      j++;
    for (let k = i; k <= j; k++) result[(order[k] as readonly [number, number])[1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return result;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va === 0 || vb === 0 ? Number.NaN : cov / Math.sqrt(va * vb);
}
