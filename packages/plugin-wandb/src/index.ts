/**
 * @mlops/plugin-wandb — Weights & Biases tracking and model registry over W&B's HTTP API, with an
 * offline spool and `mlops wandb sync`.
 *
 * @packageDocumentation
 */
export { type ApiKey, type ApiKeySource, parseNetrc, resolveApiKey } from './auth/credentials.js';
export { Redactor } from './auth/redactor.js';
export { type SyncCommandResult, syncCommand } from './commands/sync-command.js';
export { connectWandb, missingKeyError } from './connect.js';
export { type WandbErrorCode, wandbErrors } from './errors.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './http/retry-policy.js';
export {
  type FileStreamBody,
  type FileStreamResponse,
  type RunPath,
  WandbClient,
  type WandbClientOptions,
} from './http/wandb-client.js';
export { parseExtendedJson, stringifyExtendedJson } from './json/extended-json.js';
export { wandb, wandb as default } from './plugin.js';
export { manifestDigest, md5Base64 } from './registry/artifact-manifest.js';
export {
  FallbackModelRegistry,
  type FallbackModelRegistryOptions,
} from './registry/fallback-registry.js';
export { type RegistryIntent, SpoolingModelRegistry } from './registry/spooling-registry.js';
export {
  type RegistryLinkOptions,
  WandbModelRegistry,
  type WandbModelRegistryOptions,
} from './registry/wandb-model-registry.js';
export { resolveSettings, type WandbPluginOptions, type WandbSettings } from './settings.js';
export {
  listSpooledRuns,
  RunSpool,
  type SpooledExit,
  type SpooledRun,
  type SyncState,
} from './spool/run-spool.js';
export {
  type RefusedPromotion,
  type RegistrySyncReport,
  syncRegistryIntents,
} from './sync/registry-sync.js';
export {
  HISTORY_FILE,
  MAX_FILE_STREAM_REQUEST_BYTES,
  SUMMARY_FILE,
  type UploadReport,
  uploadSpooledRun,
} from './sync/run-uploader.js';
export { toWandbConfig, WandbTracker, type WandbTrackerOptions } from './tracker/wandb-tracker.js';
export { PLUGIN_WANDB_VERSION } from './version.js';
