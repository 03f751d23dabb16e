/**
 * @mlops/core — the lifecycle (data → model → train → evaluate → export → serve) as typed hooks,
 * plugins, config loading, the embedded store, registry and tracker, and the functions behind
 * every `mlops` CLI command.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';

export * from './api/index.js';
export { type CliIO, createCli, main } from './cli/main.js';
export * from './config/index.js';
export * from './data/index.js';
// The drift reference format: written by the engine at export, read by the server.
export {
  type DriftReference,
  parseDriftReference,
  REFERENCE_HISTOGRAM_BINS,
  REFERENCE_STATS_ARTIFACT,
  REFERENCE_STATS_FORMAT,
  type ReferenceStats,
  referenceBin,
} from './data/drift-reference.js';
export * from './errors.js';
export * from './hooks/lifecycle-hooks.js';
export * from './logging/index.js';
export * from './pipeline/index.js';
export * from './plugin/index.js';
export * from './registry/index.js';
export * from './runs/index.js';
export * from './services/index.js';
export * from './store/index.js';
export * from './tracker/index.js';
export * from './util/index.js';
export { CORE_VERSION } from './version.js';
