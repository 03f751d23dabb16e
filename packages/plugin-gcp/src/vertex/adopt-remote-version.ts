/**
 * After a Vertex job succeeds, the version it registered in the bucket registry is registered in
 * the project's own registry as a local run's would be (same artifacts, metrics and lineage, the
 * config's `registry.aliases`, then `registry.promoteTo` if the gate allows), with its artifacts
 * fetched into the local store so `mlops serve` works right away. With the registry in the bucket
 * (`gcp({ registry: 'bucket' })`) the job's registration already is the project's: nothing to do.
 */
import { isMlopsError, type Logger, type ModelRegistry, type RegistryConfig } from '@mlops/core';
import type { GcsArtifactStore } from '../gcs/gcs-artifact-store.js';
import type { VertexJobResult } from './job-files.js';

/** Inputs of {@link adoptRemoteVersion}. */
export interface AdoptRemoteVersionOptions {
  /** What the job reported. */
  result: VertexJobResult;
  /** The bucket registry the job registered in. */
  remoteRegistry: ModelRegistry;
  /** The project's registry. */
  localRegistry: ModelRegistry;
  /** The bucket store holding the job's artifacts. */
  remoteStore: GcsArtifactStore;
  /** The project's registry config (aliases, promoteTo, gate). */
  registry: RegistryConfig;
  /** Vertex job resource name, recorded in the version's metadata. */
  jobName: string;
  /** For the promotion warning. */
  logger: Logger;
}

/** The version as registered in the project's registry. */
export interface AdoptedVersion {
  /** Model name. */
  model: string;
  /** Version number in the project's registry. */
  version: number;
  /** Aliases now pointing at it. */
  aliases: string[];
}

/** See the module comment. */
export async function adoptRemoteVersion(
  options: AdoptRemoteVersionOptions,
): Promise<AdoptedVersion | undefined> {
  const registered = options.result.registered;
  if (!registered) return undefined;
  if (options.localRegistry === options.remoteRegistry) return registered;
  const remote = await options.remoteRegistry.resolve(registered.model, { version: registered.version });
  for (const ref of Object.values(remote.artifacts)) await options.remoteStore.fetch(ref);
  const version = await options.localRegistry.register({
    model: remote.model,
    artifacts: remote.artifacts,
    metrics: remote.metrics,
    lineage: remote.lineage,
    metadata: {
      ...remote.metadata,
      remote: { job: options.jobName, registry: options.remoteStore.location, version: remote.version },
    },
    aliases: options.registry.aliases,
  });
  const aliases = [...options.registry.aliases];
  if (options.registry.promoteTo) {
    try {
      await options.localRegistry.promote(version.model, version.version, options.registry.promoteTo, {
        ...(options.registry.gate ? { gate: options.registry.gate } : {}),
        actor: `vertex:${options.result.jobId}`,
        reason: 'automatic promotion after a remote run',
      });
      aliases.push(options.registry.promoteTo);
    } catch (error) {
      if (!isMlopsError(error, 'MLOPS_ERR_REGISTRY_GATE')) throw error;
      options.logger.warn(`not promoted to ${options.registry.promoteTo}: ${error.message}`);
    }
  }
  return { model: version.model, version: version.version, aliases };
}
