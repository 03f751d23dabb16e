/**
 * @mlops/server — the Fastify inference service: the legacy HTTP contract, health/readiness
 * probes, and per-alias model loading with registry hot swap.
 *
 * @packageDocumentation
 */

export { type ErrorBody, isRegistryNotFound, ServerError, type ServerErrorCode } from './errors.js';
export { type ModelLease, ModelPool, type PoolLogger } from './model-pool.js';
export { default, type ServePluginOptions, server } from './serve-plugin.js';
export {
  ACCEPTED_IMAGE_TYPES,
  createDummyModel,
  createServer,
  DEFAULT_REPOSITORY_URL,
  type ImageDecoder,
  LEGACY_TOP_K,
  PREPRODUCTION_ALIAS,
  PRODUCTION_ALIAS,
  type ServerOptions,
  type ServerState,
} from './server.js';
