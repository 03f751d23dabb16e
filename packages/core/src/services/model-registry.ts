import type { InjectionToken } from 'tsyringe';
import type { Json, JsonObject } from '../util/json.js';
import type { ArtifactRef } from './artifact-store.js';

/** Where a model version came from. */
export interface ModelLineage {
  /** Run that produced it. */
  runId?: string;
  /** Data version (manifest hash) it was trained on. */
  dataVersion?: string;
  /** Git commit of the code, with `-dirty` appended when the tree had changes. */
  gitSha?: string;
  /** Version of the same model it was fine-tuned from, if any. */
  parent?: { model: string; version: number };
}

/** One registered version of a model. */
export interface ModelVersion {
  /** Model name. */
  model: string;
  /** 1, 2, 3, ... in registration order. */
  version: number;
  /** Artifacts by role, e.g. `tfjs`, `onnx`, `onnx-int8`, `labels`, `reference-stats`. */
  artifacts: Record<string, ArtifactRef>;
  /** Evaluation metrics, e.g. `top1`, `top5`, `loss`. */
  metrics: Record<string, number>;
  /** Lineage. */
  lineage: ModelLineage;
  /** Anything else (labels, preprocessing, architecture). */
  metadata: JsonObject;
  /** ISO time of registration. */
  createdAt: string;
  /** Aliases currently pointing at this version. */
  aliases: string[];
}

/** A model and its aliases. */
export interface ModelSummary {
  /** Model name. */
  name: string;
  /** Number of versions. */
  versions: number;
  /** Latest version number. */
  latest: number;
  /** alias → version. */
  aliases: Record<string, number>;
  /** ISO time of the last change. */
  updatedAt: string;
}

/** One alias move, kept in the model's history. */
export interface AliasMove {
  /** Alias name, e.g. `production`. */
  alias: string;
  /** Model name. */
  model: string;
  /** Version it pointed to before, or null if new. */
  from: number | null;
  /** Version it points to now, or null when removed. */
  to: number | null;
  /** ISO time. */
  at: string;
  /** Who moved it (user@host or a token name). */
  actor?: string;
  /** Why. */
  reason?: string;
  /** Whether the evaluation gate was overridden. */
  forced?: boolean;
}

/** An evaluation gate: promotion refused when `metric` is worse than the current holder's. */
export interface PromotionGate {
  /** Metric key in {@link ModelVersion.metrics}, e.g. `top1`. */
  metric: string;
  /** Whether larger (`max`, default) or smaller (`min`) is better. */
  mode?: 'max' | 'min';
}

/**
 * The gate metric of a candidate and of the alias's holder measured on the same images (the
 * candidate's evaluation split), for a gate whose versions were evaluated on different data.
 */
export interface GateEvidence {
  /** The gate metric. */
  metric: string;
  /** Version promoted. */
  candidateVersion: number;
  /** Version holding the alias, measured alongside. */
  holderVersion: number;
  /** The candidate's value. */
  candidate: number;
  /** The holder's value on the same images. */
  holder: number;
  /** What was measured on, for messages: e.g. `the test split of data 1a2b3c4d5e6f (1000 images)`. */
  on: string;
}

/** Options of {@link ModelRegistry.promote}. */
export interface PromoteOptions {
  /** Check the candidate against the alias's current holder. */
  gate?: PromotionGate;
  /**
   * The metric of both versions on the same data, when their own evaluations are not comparable
   * (other test data): the gate compares these instead of refusing.
   */
  evidence?: GateEvidence;
  /** Promote even if the gate refuses. */
  force?: boolean;
  /** Recorded in the history. */
  actor?: string;
  /** Recorded in the history. */
  reason?: string;
}

/** What {@link ModelRegistry.register} takes. */
export interface RegisterModelInput {
  /** Model name. */
  model: string;
  /** Artifacts by role. */
  artifacts: Record<string, ArtifactRef>;
  /** Metrics. */
  metrics?: Record<string, number>;
  /** Lineage. */
  lineage?: ModelLineage;
  /** Other metadata. */
  metadata?: JsonObject;
  /** Aliases to point at the new version right away (e.g. `latest`, `best`). */
  aliases?: string[];
  /**
   * Idempotent registration by artifact hash: when a version already holds exactly these artifacts
   * (same roles, same hashes), return it instead of adding a version (the pipeline sets this, so a
   * resumed run that reproduces a registered model does not register it twice). Of `aliases`, only
   * those the model has no version for yet are pointed at it.
   */
  reuseIdentical?: boolean;
}

/** How to pick a version: an alias, a number, or `latest`. */
export type VersionSelector = { alias: string } | { version: number } | 'latest';

/**
 * Model name → versions → aliases. Promotion is an alias move: atomic, recorded, and safe under
 * concurrent writers. Core ships the local registry in `.mlops/registry`; plugins provide others
 * (W&B, a bucket).
 */
export interface ModelRegistry {
  /** Registers a new version. */
  register(input: RegisterModelInput): Promise<ModelVersion>;
  /** All models. */
  listModels(): Promise<ModelSummary[]>;
  /** All versions of a model (oldest first). Throws MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND. */
  listVersions(model: string): Promise<ModelVersion[]>;
  /** One version. Throws when the model, version or alias does not exist. */
  resolve(model: string, selector: VersionSelector): Promise<ModelVersion>;
  /** Points `alias` at `version`; refuses when a gate fails unless `force`. */
  promote(model: string, version: number, alias: string, options?: PromoteOptions): Promise<AliasMove>;
  /** Removes an alias. */
  removeAlias?(
    model: string,
    alias: string,
    options?: { actor?: string; reason?: string },
  ): Promise<AliasMove>;
  /** Alias moves of a model, oldest first. */
  history(model: string): Promise<AliasMove[]>;
  /**
   * Calls `listener` whenever an alias of `model` moves (also when moved by another process).
   * Returns a function that stops watching.
   */
  watch?(model: string, listener: (move: AliasMove) => void): () => void;
}

/** DI token of the {@link ModelRegistry}. */
export const ModelRegistry: InjectionToken<ModelRegistry> = Symbol.for('mlops.ModelRegistry');

/** Extra free-form value type re-exported for registry metadata. */
export type RegistryMetadataValue = Json;
