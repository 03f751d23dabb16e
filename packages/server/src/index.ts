/**
 * @mlops/server — the Fastify inference service: the legacy HTTP contract, health/readiness
 * probes, and per-alias model loading with registry hot swap.
 *
 * @packageDocumentation
 */

export {
  type BatcherHooks,
  type BatchingOptions,
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_WAIT_MS,
  MicroBatcher,
} from './batcher.js';
export {
  DEFAULT_DRIFT_MIN_SAMPLES,
  DEFAULT_DRIFT_WINDOW,
  DRIFT_BINS,
  DriftHub,
  type DriftHubOptions,
  DriftMonitor,
  type DriftReference,
  type DriftReport,
  imageMean,
  PSI_EPSILON,
  parseReference,
  psi,
  REFERENCE_ARTIFACT,
} from './drift/monitor.js';
export { type ErrorBody, isRegistryNotFound, ServerError, type ServerErrorCode } from './errors.js';
export { type DriftScores, type ServedAliases, ServerMetrics } from './metrics.js';
export { type ModelLease, ModelPool, type PoolHooks, type PoolLogger } from './model-pool.js';
export {
  DEFAULT_ALIAS,
  DEFAULT_MAX_BATCH,
  DEFAULT_TOP_K,
  decodeBase64Image,
  type RawImage,
  registerV1Routes,
  V1_FILE_FIELDS,
  type V1Context,
  type V1Prediction,
} from './routes/v1.js';
export { default, type ServePluginOptions, server } from './serve-plugin.js';
export {
  ACCEPTED_IMAGE_TYPES,
  createDummyModel,
  createServer,
  DEFAULT_REPOSITORY_URL,
  decodeUpload,
  type ImageDecoder,
  LEGACY_TOP_K,
  PREPRODUCTION_ALIAS,
  PRODUCTION_ALIAS,
  type ServerOptions,
  type ServerState,
} from './server.js';
