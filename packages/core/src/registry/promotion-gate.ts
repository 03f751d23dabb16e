/** The evaluation gate of a promotion: refuse a candidate that is worse than the alias's holder. */
import { MlopsError } from '../errors.js';
import type { PromotionGate } from '../services/model-registry.js';
import type { StoredModelVersion } from './model-file.js';

/**
 * Why the gate refuses `candidate` for `alias`, or undefined when it passes. It passes when the
 * alias has no holder, or the holder lacks the metric (there is nothing to defend). It refuses when
 * the candidate lacks the metric, or its value is worse than the holder's (a tie passes).
 */
export function checkPromotionGate(
  gate: PromotionGate,
  alias: string,
  candidate: StoredModelVersion,
  holder: StoredModelVersion | undefined,
): MlopsError | undefined {
  const { metric } = gate;
  const mode = gate.mode ?? 'max';
  const model = candidate.model;
  const force = 'pass --force to promote anyway';
  const value = candidate.metrics[metric];
  if (typeof value !== 'number') {
    const known = Object.keys(candidate.metrics).sort().join(', ') || 'none';
    return new MlopsError(
      'MLOPS_ERR_REGISTRY_GATE',
      `refusing to promote ${model} v${candidate.version} to "${alias}": it has no metric "${metric}" for the gate to compare (its metrics: ${known})`,
      { hint: `Evaluate the version so it records "${metric}", change the gate metric, or ${force}.` },
    );
  }
  const held = holder?.metrics[metric];
  if (holder === undefined || typeof held !== 'number') return undefined;
  const worse = mode === 'max' ? value < held : value > held;
  if (!worse) return undefined;
  const better = mode === 'max' ? 'higher' : 'lower';
  return new MlopsError(
    'MLOPS_ERR_REGISTRY_GATE',
    `refusing to promote ${model} v${candidate.version} to "${alias}": its ${metric} ${value} is worse than ${held} of v${holder.version}, the current "${alias}" (${better} is better)`,
    { hint: `Train a better model, or ${force}.` },
  );
}
