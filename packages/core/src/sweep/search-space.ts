/**
 * The search space of a sweep: each parameter of `sweep.parameters` as a domain the methods sample
 * from. Numeric domains are searched in an internal space (the log for log distributions), where
 * both random draws and TPE's Parzen estimators are uniform/Gaussian; values are mapped back and
 * rounded to `q` (integers: `q = 1`).
 */
import type { SeededRandom } from './seeded-random.js';
import type { SweepParameterSpec, SweepSpec, SweepValue } from './sweep-spec.js';

/** A numeric parameter, searched in `[low, high]` of its internal space. */
export interface NumericDomain {
  /** Discriminant. */
  kind: 'numeric';
  /** Config path. */
  path: string;
  /** Lower bound in the internal space (the log for `log`). */
  low: number;
  /** Upper bound in the internal space. */
  high: number;
  /** Searched on the natural log of the value. */
  log: boolean;
  /** Rounding step of the value (1 for integers). */
  q?: number;
}

/** A parameter with a list of values. */
export interface CategoricalDomain {
  /** Discriminant. */
  kind: 'categorical';
  /** Config path. */
  path: string;
  /** The values. */
  choices: SweepValue[];
}

/** A parameter fixed to one value. */
export interface ConstantDomain {
  /** Discriminant. */
  kind: 'constant';
  /** Config path. */
  path: string;
  /** The value. */
  value: SweepValue;
}

/** One parameter's domain. */
export type ParameterDomain = NumericDomain | CategoricalDomain | ConstantDomain;

/** The values of one trial, by config path. */
export type TrialParams = Record<string, SweepValue>;

/** The domain of one validated parameter spec. */
export function parameterDomain(path: string, spec: SweepParameterSpec): ParameterDomain {
  if (spec.value !== undefined) return { kind: 'constant', path, value: spec.value };
  if (spec.values !== undefined) return { kind: 'categorical', path, choices: spec.values };
  const min = spec.min as number;
  const max = spec.max as number;
  switch (spec.distribution ?? 'uniform') {
    case 'log_uniform':
      return { kind: 'numeric', path, low: min, high: max, log: true };
    case 'log_uniform_values':
      return { kind: 'numeric', path, low: Math.log(min), high: Math.log(max), log: true };
    case 'q_log_uniform_values':
      return {
        kind: 'numeric',
        path,
        low: Math.log(min),
        high: Math.log(max),
        log: true,
        q: spec.q as number,
      };
    case 'int_uniform':
      // Each integer gets an equal share of the internal interval.
      return { kind: 'numeric', path, low: min - 0.5, high: max + 0.4999999, log: false, q: 1 };
    case 'q_uniform':
      return { kind: 'numeric', path, low: min, high: max, log: false, q: spec.q as number };
    default:
      return { kind: 'numeric', path, low: min, high: max, log: false };
  }
}

/** Every parameter's domain, in the order of `sweep.parameters`. */
export function searchSpace(spec: SweepSpec): ParameterDomain[] {
  return Object.entries(spec.parameters).map(([path, p]) => parameterDomain(path, p));
}

/** The value of an internal-space coordinate: exponentiated for log domains, rounded to `q`. */
export function toValue(domain: NumericDomain, internal: number): number {
  const raw = domain.log ? Math.exp(internal) : internal;
  if (domain.q === undefined) return raw;
  const rounded = Math.round(raw / domain.q) * domain.q;
  // Rounding must not leave the range the user gave (min/max are multiples of q there).
  const decimals = Math.max(0, -Math.floor(Math.log10(domain.q)) + 2);
  return Number(rounded.toFixed(decimals));
}

/** The internal-space coordinate of a value (the inverse of {@link toValue}, before rounding). */
export function toInternal(domain: NumericDomain, value: number): number {
  return domain.log ? Math.log(value) : value;
}

/** A value drawn from the parameter's prior: uniform in the internal space, or a uniform choice. */
export function samplePrior(domain: ParameterDomain, random: SeededRandom): SweepValue {
  switch (domain.kind) {
    case 'constant':
      return domain.value;
    case 'categorical':
      return domain.choices[random.int(domain.choices.length)] as SweepValue;
    case 'numeric':
      return toValue(domain, random.uniform(domain.low, domain.high));
  }
}

/** A trial's values as `--set` overrides (JSON is valid YAML, so `"adamw"` stays a string). */
export function paramsToOverrides(params: TrialParams): string[] {
  return Object.entries(params).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
}
