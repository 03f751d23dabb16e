/**
 * Tree-structured Parzen Estimators (Bergstra et al., "Algorithms for Hyper-Parameter
 * Optimization", NeurIPS 2011), univariate as in hyperopt and Optuna's default. The finished
 * trials are split at the `gamma` quantile of the objective into "good" and "bad"; each parameter
 * gets two densities, `l(x)` over the good trials' values and `g(x)` over the bad ones'; the next
 * value is the candidate, drawn from `l`, with the largest `l(x) / g(x)` (which maximizes expected
 * improvement under the model).
 *
 * - numeric parameters (in the internal space: the log for log distributions): a mixture of
 *   Gaussians truncated to `[low, high]`, one per observation with hyperopt's adaptive bandwidth
 *   (the larger gap to its sorted neighbours, clipped to `[range / min(100, n + 1), range]`), plus
 *   a prior component (the centre, sigma = the range) of the same weight;
 * - integer and quantized parameters: the same, the drawn value rounded to `q`;
 * - categorical parameters: counts plus a uniform prior of weight 1.
 *
 * Pruned trials (stopped by early stopping) always count as bad: they were worse at a rung than
 * trials that went on.
 */
import type { NumericDomain, ParameterDomain, TrialParams } from './search-space.js';
import { samplePrior, toInternal, toValue } from './search-space.js';
import type { SeededRandom } from './seeded-random.js';
import type { SweepValue } from './sweep-spec.js';

/** A finished trial as TPE sees it. */
export interface TpeObservation {
  /** The trial's values. */
  params: TrialParams;
  /** The objective to minimize (negated for `maximize`); undefined for a pruned trial. */
  loss: number | undefined;
}

/** Settings of {@link suggestTpe}. */
export interface TpeSettings {
  /** Fraction of the trials that are "good". */
  gamma: number;
  /** Candidates drawn from `l(x)` per parameter. */
  candidates: number;
}

/** One component of a truncated Gaussian mixture. */
interface Component {
  mu: number;
  sigma: number;
  weight: number;
}

/** The next trial's values under the TPE model of `history`. */
export function suggestTpe(
  space: readonly ParameterDomain[],
  history: readonly TpeObservation[],
  random: SeededRandom,
  settings: TpeSettings,
): TrialParams {
  const { good, bad } = splitGoodBad(history, settings.gamma);
  const params: TrialParams = {};
  for (const domain of space) {
    if (domain.kind === 'constant') params[domain.path] = domain.value;
    else if (good.length === 0) params[domain.path] = samplePrior(domain, random);
    else if (domain.kind === 'categorical')
      params[domain.path] = suggestCategorical(domain.choices, domain.path, good, bad, random, settings);
    else params[domain.path] = suggestNumeric(domain, good, bad, random, settings);
  }
  return params;
}

/** The good trials: the best `ceil(gamma · n)` finished ones (at least one); the rest are bad. */
export function splitGoodBad(
  history: readonly TpeObservation[],
  gamma: number,
): { good: TpeObservation[]; bad: TpeObservation[] } {
  const finished = history
    .filter((o): o is TpeObservation & { loss: number } => o.loss !== undefined && Number.isFinite(o.loss))
    .sort((a, b) => a.loss - b.loss);
  const pruned = history.filter((o) => o.loss === undefined);
  const nGood = finished.length === 0 ? 0 : Math.max(1, Math.ceil(gamma * finished.length));
  return { good: finished.slice(0, nGood), bad: [...finished.slice(nGood), ...pruned] };
}

function suggestNumeric(
  domain: NumericDomain,
  good: readonly TpeObservation[],
  bad: readonly TpeObservation[],
  random: SeededRandom,
  settings: TpeSettings,
): number {
  const coordinates = (trials: readonly TpeObservation[]) =>
    trials
      .map((t) => t.params[domain.path])
      .filter((v): v is number => typeof v === 'number')
      .map((v) => Math.min(domain.high, Math.max(domain.low, toInternal(domain, v))));
  const below = parzenMixture(coordinates(good), domain.low, domain.high);
  const above = parzenMixture(coordinates(bad), domain.low, domain.high);
  let best = Number.NaN;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < settings.candidates; i++) {
    const x = sampleMixture(below, domain.low, domain.high, random);
    const score =
      logDensity(below, x, domain.low, domain.high) - logDensity(above, x, domain.low, domain.high);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return toValue(domain, best);
}

/** hyperopt's adaptive Parzen estimator over `points` in `[low, high]`, with a prior component. */
export function parzenMixture(points: readonly number[], low: number, high: number): Component[] {
  const range = high - low;
  const prior: Component = { mu: (low + high) / 2, sigma: range, weight: 1 };
  if (points.length === 0) return [prior];
  const sorted = [...points].sort((a, b) => a - b);
  const minSigma = range / Math.min(100, sorted.length + 1);
  const components = sorted.map((mu, i) => {
    const left = mu - (i > 0 ? (sorted[i - 1] as number) : low);
    const right = (i < sorted.length - 1 ? (sorted[i + 1] as number) : high) - mu;
    const sigma = Math.min(range, Math.max(minSigma, left, right));
    return { mu, sigma, weight: 1 };
  });
  return [...components, prior];
}

function sampleMixture(
  mixture: readonly Component[],
  low: number,
  high: number,
  random: SeededRandom,
): number {
  const total = mixture.reduce((s, c) => s + c.weight, 0);
  let pick = random.next() * total;
  let component = mixture[mixture.length - 1] as Component;
  for (const c of mixture) {
    pick -= c.weight;
    if (pick < 0) {
      component = c;
      break;
    }
  }
  for (let attempt = 0; attempt < 32; attempt++) {
    const x = component.mu + component.sigma * random.normal();
    if (x >= low && x <= high) return x;
  }
  return Math.min(high, Math.max(low, component.mu));
}

/** log of the truncated mixture's density at `x`. */
export function logDensity(mixture: readonly Component[], x: number, low: number, high: number): number {
  const total = mixture.reduce((s, c) => s + c.weight, 0);
  let density = 0;
  for (const c of mixture) {
    const mass = normalCdf((high - c.mu) / c.sigma) - normalCdf((low - c.mu) / c.sigma);
    const z = (x - c.mu) / c.sigma;
    const pdf = Math.exp(-0.5 * z * z) / (c.sigma * Math.sqrt(2 * Math.PI));
    density += (c.weight / total) * (pdf / Math.max(mass, 1e-12));
  }
  return Math.log(Math.max(density, 1e-300));
}

function suggestCategorical(
  choices: readonly SweepValue[],
  path: string,
  good: readonly TpeObservation[],
  bad: readonly TpeObservation[],
  random: SeededRandom,
  settings: TpeSettings,
): SweepValue {
  const keys = choices.map((c) => JSON.stringify(c));
  const probabilities = (trials: readonly TpeObservation[]) => {
    const counts = keys.map(() => 1 / keys.length); // the prior, weight 1 in all
    for (const t of trials) {
      const index = keys.indexOf(JSON.stringify(t.params[path]));
      if (index >= 0) counts[index] = (counts[index] as number) + 1;
    }
    const total = counts.reduce((s, c) => s + c, 0);
    return counts.map((c) => c / total);
  };
  const below = probabilities(good);
  const above = probabilities(bad);
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < settings.candidates; i++) {
    let pick = random.next();
    let index = below.length - 1;
    for (const [j, p] of below.entries()) {
      pick -= p;
      if (pick < 0) {
        index = j;
        break;
      }
    }
    const score = Math.log(below[index] as number) - Math.log(above[index] as number);
    if (score > bestScore) {
      bestScore = score;
      best = index;
    }
  }
  return choices[best] as SweepValue;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
