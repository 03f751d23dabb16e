/** The evaluation gate of a promotion: refuse a candidate that is worse than the alias's holder. */
import { MlopsError } from '../errors.js';
import type { GateEvidence, PromotionGate } from '../services/model-registry.js';
import type { StoredModelVersion } from './model-file.js';

/**
 * Why two versions' evaluation metrics cannot be compared, or undefined when they can: they
 * classify different class sets, or were evaluated on different data (another test split, another
 * data version). Versions that do not say (registered without labels or evaluation metadata) are
 * taken as comparable.
 */
export function incomparability(
  candidate: StoredModelVersion,
  holder: StoredModelVersion,
): string | undefined {
  const a = labelsOf(holder);
  const b = labelsOf(candidate);
  if (a && b && !sameSet(a, b)) {
    const added = b.filter((label) => !a.includes(label));
    const removed = a.filter((label) => !b.includes(label));
    const change = [
      added.length > 0 ? `v${candidate.version} adds ${added.join(', ')}` : '',
      removed.length > 0
        ? `${added.length > 0 ? 'and ' : `v${candidate.version} `}lacks ${removed.join(', ')}`
        : '',
    ]
      .filter(Boolean)
      .join(' ');
    return `they classify different classes (v${holder.version}: ${a.length}, v${candidate.version}: ${b.length}; ${change})`;
  }
  const evalA = evaluationOf(holder);
  const evalB = evaluationOf(candidate);
  if (evalA.data !== undefined && evalB.data !== undefined && evalA.data !== evalB.data) {
    return `they were evaluated on different data (v${holder.version}: ${describeEvaluation(evalA)}, v${candidate.version}: ${describeEvaluation(evalB)})`;
  }
  return undefined;
}

/**
 * Why the gate refuses `candidate` for `alias`, or undefined when it passes. It passes when the
 * alias has no holder, or the holder lacks the metric (there is nothing to defend). It refuses when
 * the candidate lacks the metric, when its value is worse than the holder's (a tie passes), and —
 * not as "worse" — when the two were evaluated on different classes or data and no `evidence`
 * measured both on the same images.
 */
export function checkPromotionGate(
  gate: PromotionGate,
  alias: string,
  candidate: StoredModelVersion,
  holder: StoredModelVersion | undefined,
  evidence?: GateEvidence,
): MlopsError | undefined {
  const { metric } = gate;
  const mode = gate.mode ?? 'max';
  const model = candidate.model;
  const force = `pass --force to promote anyway: mlops registry promote ${model} ${candidate.version} ${alias} --force`;
  const value = candidate.metrics[metric];
  if (typeof value !== 'number') {
    const known = Object.keys(candidate.metrics).sort().join(', ') || 'none';
    return new MlopsError(
      'MLOPS_ERR_REGISTRY_GATE',
      `refusing to promote ${model} v${candidate.version} to "${alias}": it has no metric "${metric}" for the gate to compare (its metrics: ${known})`,
      { hint: `Evaluate the version so it records "${metric}", change the gate metric, or ${force}` },
    );
  }
  const held = holder?.metrics[metric];
  if (holder === undefined || typeof held !== 'number') return undefined;
  const better = mode === 'max' ? 'higher' : 'lower';
  const usable =
    evidence !== undefined &&
    evidence.metric === metric &&
    evidence.holderVersion === holder.version &&
    evidence.candidateVersion === candidate.version;
  if (usable) {
    const worse =
      mode === 'max' ? evidence.candidate < evidence.holder : evidence.candidate > evidence.holder;
    if (!worse) return undefined;
    return new MlopsError(
      'MLOPS_ERR_REGISTRY_GATE',
      `refusing to promote ${model} v${candidate.version} to "${alias}": on ${evidence.on}, its ${metric} ${round(evidence.candidate)} is worse than ${round(evidence.holder)} of v${holder.version}, the current "${alias}" (${better} is better)`,
      { hint: `Train a better model, or ${force}` },
    );
  }
  const reason = incomparability(candidate, holder);
  if (reason !== undefined) {
    return new MlopsError(
      'MLOPS_ERR_REGISTRY_GATE',
      `refusing to promote ${model} v${candidate.version} to "${alias}": its ${metric} cannot be compared with v${holder.version}'s, the current "${alias}": ${reason}`,
      {
        hint: `Promote it from the run that registers it (registry.promoteTo), which measures v${holder.version} on v${candidate.version}'s test split when the classes match, or ${force}`,
      },
    );
  }
  const worse = mode === 'max' ? value < held : value > held;
  if (!worse) return undefined;
  return new MlopsError(
    'MLOPS_ERR_REGISTRY_GATE',
    `refusing to promote ${model} v${candidate.version} to "${alias}": its ${metric} ${value} is worse than ${held} of v${holder.version}, the current "${alias}" (${better} is better)`,
    { hint: `Train a better model, or ${force}` },
  );
}

/** A version's class labels, when its metadata lists them. */
export function labelsOf(version: StoredModelVersion): string[] | undefined {
  const labels = version.metadata?.labels;
  return Array.isArray(labels) && labels.every((l) => typeof l === 'string')
    ? (labels as string[])
    : undefined;
}

/** What a version was evaluated on: the data identity to compare, and words for messages. */
interface EvaluationIdentity {
  /** Identity of the evaluation images (their hash, else data version and split). */
  data?: string;
  /** Split role. */
  split?: string;
  /** Data version. */
  dataVersion?: string;
}

function evaluationOf(version: StoredModelVersion): EvaluationIdentity {
  const evaluation = version.metadata?.evaluation;
  const record =
    evaluation !== null && typeof evaluation === 'object' && !Array.isArray(evaluation)
      ? (evaluation as Record<string, unknown>)
      : {};
  const split = typeof record.split === 'string' ? record.split : undefined;
  const dataVersion =
    typeof record.dataVersion === 'string' ? record.dataVersion : version.lineage?.dataVersion;
  const dataHash = typeof record.dataHash === 'string' ? record.dataHash : undefined;
  // Without metadata of the split evaluated, a version says nothing comparable about its data.
  const data =
    dataHash ?? (split !== undefined && dataVersion !== undefined ? `${dataVersion}:${split}` : undefined);
  return { ...(data ? { data } : {}), ...(split ? { split } : {}), ...(dataVersion ? { dataVersion } : {}) };
}

function describeEvaluation(evaluation: EvaluationIdentity): string {
  return `the ${evaluation.split ?? 'evaluation'} split of data ${evaluation.dataVersion?.slice(0, 12) ?? 'unknown'}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label) => b.includes(label));
}

function round(value: number): string {
  return String(Math.round(value * 10_000) / 10_000);
}
