/**
 * Early stopping by asynchronous successive halving (ASHA; Li et al., "A System for Massively
 * Parallel Hyperparameter Tuning", MLSys 2020), in the stopping form Optuna's
 * `SuccessiveHalvingPruner` uses: rungs at epochs `minIter · eta^k`; a trial that reaches a rung
 * records its metric there and goes on only when it is among the best `floor(n / eta)` of the `n`
 * trials that reached the rung so far (the best one while `n < eta`, as a trial cannot be paused
 * and promoted later).
 */
import type { SweepEarlyStop } from './sweep-spec.js';

/** The rung index of `epoch`, or undefined when the epoch is no rung. */
export function rungOf(epoch: number, settings: SweepEarlyStop): number | undefined {
  let rungEpoch = settings.minIter;
  for (let k = 0; rungEpoch <= epoch; k++) {
    if (Math.round(rungEpoch) === epoch) return k;
    rungEpoch *= settings.eta;
  }
  return undefined;
}

/** A trial's standing at a rung: whether it goes on, and the cutoff it was judged against. */
export interface AshaVerdict {
  /** The trial goes on. */
  continues: boolean;
  /** The worst value that goes on: the `kept`-th best of the rung so far. */
  cutoff: number;
  /** How many of the rung's trials go on. */
  kept: number;
  /** How many trials reached the rung so far (this one included). */
  reached: number;
}

/**
 * How a trial with `value` at a rung stands, given the values of the trials that reached the rung
 * before it (`others`, not including this trial).
 */
export function ashaVerdict(
  value: number,
  others: readonly number[],
  settings: SweepEarlyStop,
  goal: 'maximize' | 'minimize',
): AshaVerdict {
  const competing = [...others, value].sort((a, b) => (goal === 'maximize' ? b - a : a - b));
  const kept = Math.max(1, Math.floor(competing.length / settings.eta));
  const cutoff = competing[kept - 1] as number;
  const continues = goal === 'maximize' ? value >= cutoff : value <= cutoff;
  return { continues, cutoff, kept, reached: competing.length };
}

/** Whether a trial with `value` at a rung goes on (see {@link ashaVerdict}). */
export function ashaContinues(
  value: number,
  others: readonly number[],
  settings: SweepEarlyStop,
  goal: 'maximize' | 'minimize',
): boolean {
  return ashaVerdict(value, others, settings, goal).continues;
}
