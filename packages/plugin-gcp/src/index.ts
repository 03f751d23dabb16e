/**
 * @mlops/plugin-gcp — Google Cloud for mlops: a `gs://` artifact store and data remote
 * (`mlops data push|pull`), a bucket model registry with generation-match alias moves, Cloud Run
 * deploys of the inference server and Vertex AI training jobs.
 *
 * @packageDocumentation
 */
export { type DataTransferResult, pullDataVersion, pushDataVersion } from './data/data-remote.js';
export { type CloudRunDeployResult, deployToCloudRun } from './deploy/cloud-run-deploy.js';
export {
  type ApiRequest,
  buildCloudRunRequest,
  CLOUD_RUN_API,
  type CloudRunDeployOptions,
  type CloudRunService,
} from './deploy/cloud-run-service.js';
export { renderServerDockerfile, type ServerDockerfileOptions } from './deploy/dockerfile.js';
export { GcpContext } from './gcp-context.js';
export { digestBytes, digestFile, type ObjectDigests } from './gcs/content-digests.js';
export {
  GcsArtifactStore,
  type GcsArtifactStoreOptions,
  type TransferStats,
} from './gcs/gcs-artifact-store.js';
export { CREDENTIALS_HINT, credentialError, isCredentialError, toMlopsError } from './gcs/gcs-errors.js';
export { formatGsUrl, type GsLocation, objectKey, parseGsUrl } from './gcs/gs-url.js';
export {
  createStorageClient,
  type GcsRetryOptions,
  type StorageClientOptions,
} from './gcs/storage-client.js';
export {
  type AccessTokenSource,
  type ApiRetryOptions,
  GoogleApiClient,
  type GoogleApiClientOptions,
} from './google-api/google-api-client.js';
export {
  type LongRunningOperation,
  type WaitOptions,
  waitForOperation,
} from './google-api/long-running-operation.js';
export type { GcpPlacement, GcpPluginOptions } from './options.js';
export { GCP_PLUGIN_NAME, gcp, gcp as default } from './plugin.js';
export { GcsModelRegistry, type GcsModelRegistryOptions } from './registry/gcs-model-registry.js';
export { REGISTRY_DOCUMENT_FORMAT, type RegistryDocument } from './registry/registry-document.js';
export { PLUGIN_VERSION } from './version.js';
export {
  type AdoptedVersion,
  type AdoptRemoteVersionOptions,
  adoptRemoteVersion,
} from './vertex/adopt-remote-version.js';
export {
  buildVertexJobRequest,
  type VertexCustomJob,
  type VertexJobOptions,
  vertexApiBase,
} from './vertex/custom-job.js';
export {
  readJobResult,
  type VertexJobPackage,
  type VertexJobResult,
  writeJobFile,
} from './vertex/job-files.js';
export { type RunVertexJobOptions, runVertexJob, type VertexJobStatus } from './vertex/run-vertex-job.js';
