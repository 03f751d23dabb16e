/**
 * @mlops/server — the Fastify inference service: the legacy HTTP contract, the versioned `/v1`
 * API, health/readiness probes, per-alias model loading with registry hot swap, adaptive
 * micro-batching, Prometheus metrics, drift monitoring, OpenAPI docs, a web page (`/ui/`) and
 * `mlops loadtest`.
 *
 * @packageDocumentation
 */

export { PREPRODUCTION_ALIAS, PRODUCTION_ALIAS } from './aliases.js';
export {
  type BatcherHooks,
  type BatchingOptions,
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_WAIT_MS,
  MicroBatcher,
} from './batcher.js';
export { drainBody } from './drain-body.js';
export {
  DEFAULT_DRIFT_MIN_SAMPLES,
  DEFAULT_DRIFT_WINDOW,
  DriftHub,
  type DriftHubOptions,
  DriftMonitor,
  type DriftReport,
  imageMean,
  PSI_EPSILON,
  psi,
} from './drift/monitor.js';
export {
  type ErrorBody,
  isRegistryNotFound,
  ServerError,
  type ServerErrorCode,
  serverErrors,
} from './errors.js';
export { DEFAULT_MAX_PIXELS, type ImageDimensions, readImageDimensions } from './image-header.js';
export {
  formatLoadTest,
  type LatencySummary,
  type LoadTestImage,
  type LoadTestOptions,
  type LoadTestResult,
  type RouteStats,
  runLoadTest,
  summarizeLatency,
} from './loadtest/loadtest.js';
export { loadtestCommand } from './loadtest/loadtest-command.js';
export { encodeGrayPng, encodePng, samplePng } from './loadtest/sample-png.js';
export { type DriftScores, processMetricsRegistry, type ServedAliases, ServerMetrics } from './metrics.js';
export {
  type ModelLease,
  ModelPool,
  type PoolHooks,
  type PoolLogger,
  type PreloadResult,
} from './model-pool.js';
export { DOCS_PREFIX, registerOpenApi } from './openapi.js';
export {
  createDummyModel,
  DEFAULT_REPOSITORY_URL,
  LEGACY_TOP_K,
  type LegacyContext,
  registerLegacyRoutes,
  routeAliases,
} from './routes/legacy.js';
export { type JsonSchema, OPENAPI_BODY, openApiBody } from './routes/schemas.js';
export {
  DEFAULT_MAX_BATCH,
  DEFAULT_TOP_K,
  decodeBase64Image,
  type RawImage,
  registerV1Routes,
  V1_FILE_FIELDS,
  type V1Context,
  type V1Prediction,
} from './routes/v1.js';
export { registerWebModelRoutes, WEB_MODEL_FORMATS, type WebModelContext } from './routes/web-model.js';
export { default, type ServePluginOptions, server } from './serve-plugin.js';
export { createServer, type ServerOptions, type ServerState } from './server.js';
export { UI_CSP, UI_HTML } from './ui/page-html.js';
export {
  type OnnxRuntimeWebResolver,
  registerUiRoutes,
  resolveInstalledOnnxRuntimeWeb,
  UI_PATH,
  type UiRoutesOptions,
} from './ui/ui-routes.js';
export {
  ACCEPTED_IMAGE_TYPES,
  decodeUpload,
  type ImageDecoder,
  LEGACY_FILE_FIELD,
  readImageFile,
} from './upload.js';
export { SERVER_VERSION } from './version.js';
