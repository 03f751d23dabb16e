/**
 * How an mlops model version is described in a W&B artifact's metadata: the headline metrics at
 * the top level (so the W&B UI shows and compares them) and everything mlops needs to rebuild the
 * {@link ModelVersion} under `mlops`.
 */
import type { ArtifactRef, JsonObject, ModelLineage, ModelVersion } from '@mlops/core';
import type { ArtifactAliasNode, ArtifactNode } from '../graphql/operations.js';

/** The `mlops` part of the metadata. */
export interface MlopsArtifactMetadata {
  /** Format marker. */
  format: 'mlops-wandb-model/1';
  /** Artifact refs by role, as in the local store. */
  artifacts: Record<string, ArtifactRef>;
  /** Metrics. */
  metrics: Record<string, number>;
  /** Lineage. */
  lineage: ModelLineage;
  /** Other metadata. */
  metadata: JsonObject;
}

/** The artifact metadata of a version. */
export function toArtifactMetadata(meta: MlopsArtifactMetadata): JsonObject {
  return { ...meta.metrics, mlops: meta as unknown as JsonObject };
}

/** The path inside the artifact of a file ref's content (`<role>/<name>`). */
export function fileRefPath(role: string, ref: ArtifactRef): string {
  const base = (ref.name ?? role).split(/[\\/]/).pop() || role;
  return `${role}/${base}`;
}

/** Where a collection lives: its entity and project. */
export interface CollectionScope {
  /** Entity. */
  entity: string;
  /** Project. */
  project: string;
}

/**
 * Whether an alias is one of collection `model` in `scope`. An artifact linked into a registry
 * collection carries that collection's aliases too, often under the same collection name, so the
 * project and entity must match as well (when the server names them).
 */
export function isAliasOf(alias: ArtifactAliasNode, model: string, scope?: CollectionScope): boolean {
  const collection = alias.artifactCollection;
  if (!collection || collection.name !== model) return false;
  if (!scope || !collection.project) return true;
  if (collection.project.name !== scope.project) return false;
  return !collection.project.entity || collection.project.entity.name === scope.entity;
}

/**
 * The {@link ModelVersion} an artifact version describes. Versions count from 1 in mlops and from
 * 0 in W&B (`v0`), so version = versionIndex + 1. Aliases are those of collection `model` in
 * `scope` (see {@link isAliasOf}), without the automatic `vN`.
 */
export function toModelVersion(model: string, node: ArtifactNode, scope?: CollectionScope): ModelVersion {
  const parsed = parseMetadata(node.metadata);
  const mlops = parsed.mlops as unknown as Partial<MlopsArtifactMetadata> | undefined;
  return {
    model,
    version: (node.versionIndex ?? 0) + 1,
    artifacts: mlops?.artifacts ?? {},
    metrics: mlops?.metrics ?? numericEntries(parsed),
    lineage: mlops?.lineage ?? {},
    metadata: mlops?.metadata ?? parsed,
    createdAt: node.createdAt,
    aliases: node.aliases
      .filter((a) => isAliasOf(a, model, scope) && !/^v\d+$/.test(a.alias))
      .map((a) => a.alias)
      .sort(),
  };
}

/** Whether the artifact was logged by mlops (so its files can be checked against store hashes). */
export function isMlopsArtifact(node: ArtifactNode): boolean {
  const mlops = parseMetadata(node.metadata).mlops;
  return (
    typeof mlops === 'object' && mlops !== null && (mlops as JsonObject).format === 'mlops-wandb-model/1'
  );
}

function parseMetadata(text: string | null): JsonObject {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
  } catch {
    return {};
  }
}

function numericEntries(object: JsonObject): Record<string, number> {
  return Object.fromEntries(
    Object.entries(object).filter((e): e is [string, number] => typeof e[1] === 'number'),
  );
}
