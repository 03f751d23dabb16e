/**
 * @mlops/plugin-gcp — Google Cloud for mlops: a `gs://` artifact store and data remote
 * (`mlops data push|pull`), a bucket model registry with generation-match alias moves, project
 * images built with Cloud Build into Artifact Registry, Cloud Run deploys of the inference server
 * (secrets, public access, traffic splits, alert policies) and Vertex AI training jobs.
 *
 * @packageDocumentation
 */
export {
  type ArtifactRepository,
  type ArtifactTag,
  createRepositoryRequest,
  type DockerRepository,
  ensureDockerRepository,
  findImageTag,
  imageUri,
  repositoryName,
  tagLookupRequest,
} from './build/artifact-registry.js';
export {
  type BuildContext,
  type BuildContextOptions,
  CONTEXT_DOCKERFILE,
  CONTEXT_GPU_DOCKERFILE,
  createBuildContext,
  isWrittenByMlops,
  WRITTEN_BY_MLOPS,
} from './build/build-context.js';
export {
  type BuildStatus,
  buildCloudBuildRequest,
  type CloudBuild,
  type CloudBuildOptions,
  type CloudBuildResult,
  type RunCloudBuildOptions,
  runCloudBuild,
} from './build/cloud-build.js';
export {
  DEFAULT_GPU_BASE_IMAGE,
  GPU_NODE_IMAGE,
  GPU_TRAIN_BACKEND,
  type GpuDockerfileOptions,
  renderGpuTrainingDockerfile,
  TFJS_NODE_GPU_VERSION,
} from './build/gpu-dockerfile.js';
export { ALWAYS_EXCLUDED, IgnoreRules, parseIgnoreFile } from './build/ignore-rules.js';
export {
  contextExclusions,
  describeImagePlan,
  ensureProjectImage,
  GPU_BUILD_TIMEOUT_SECONDS,
  type ImageVariant,
  type ProjectImagePlan,
  type ProjectImageResult,
  planProjectImage,
  pluginPackages,
} from './build/project-image.js';
export { type TarEntry, writeTar } from './build/tar.js';
export { type DataTransferResult, pullDataVersion, pushDataVersion } from './data/data-remote.js';
export {
  type CloudRunDeployResult,
  type CloudRunDeployWaitOptions,
  deployToCloudRun,
} from './deploy/cloud-run-deploy.js';
export {
  ALL_USERS,
  type IamBinding,
  type IamPolicy,
  INVOKER_ROLE,
  type PublicAccessChange,
  publicAccessRequest,
  type SetIamPolicyRequest,
  setPublicAccess,
  withPublicAccess,
} from './deploy/cloud-run-iam.js';
export {
  type ApiRequest,
  buildCloudRunRequest,
  CLOUD_RUN_API,
  type CloudRunContainer,
  type CloudRunDeployOptions,
  type CloudRunEnvVar,
  type CloudRunService,
  type CloudRunTrafficTarget,
  type CurrentService,
  cloudRunServiceName,
  labelValue,
  MANAGED_ENV_ANNOTATION,
  mergeWithCurrent,
} from './deploy/cloud-run-service.js';
export {
  DEFAULT_BASE_IMAGE,
  renderDockerignore,
  renderServerDockerfile,
  type ServerDockerfileOptions,
} from './deploy/dockerfile.js';
export {
  CREDENTIAL_NAME,
  checkSecretsExist,
  credentialValues,
  listFlag,
  parseEnvPairs,
  parseSecretPairs,
  refuseCredentials,
  type SecretRef,
  secretVersionName,
} from './deploy/secrets.js';
export { parseTraffic, resolveTraffic, type TrafficSpec } from './deploy/traffic.js';
export { type GcpErrorCode, gcpErrors } from './errors.js';
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
  alertPolicyUrl,
  cloudRunLogsUrl,
  cloudRunServiceUrl,
  logsExplorerUrl,
  vertexJobLogsUrl,
  vertexJobUrl,
} from './google-api/console-links.js';
export { apiBase, GOOGLE_API_BASES, type GoogleApiEndpoints } from './google-api/endpoints.js';
export {
  type AccessTokenSource,
  type ApiRequestOptions,
  type ApiRetryOptions,
  GoogleApiClient,
  type GoogleApiClientOptions,
  GoogleApiError,
  isApiStatus,
} from './google-api/google-api-client.js';
export {
  type LongRunningOperation,
  type WaitOptions,
  waitForOperation,
} from './google-api/long-running-operation.js';
export {
  ALERT_KINDS,
  type AlertPolicy,
  type AlertPolicyStatus,
  type AlertTarget,
  type AlertThresholds,
  alertPolicyRequests,
  buildAlertPolicies,
  ensureAlertPolicies,
  listAlertPolicies,
  notificationChannelName,
} from './monitoring/alert-policies.js';
export type { GcpPlacement, GcpPluginOptions, ImageBuildOptions } from './options.js';
export { GCP_PLUGIN_NAME, gcp, gcp as default } from './plugin.js';
export { GcsModelRegistry, type GcsModelRegistryOptions } from './registry/gcs-model-registry.js';
export { REGISTRY_DOCUMENT_FORMAT, type RegistryDocument } from './registry/registry-document.js';
export { PLUGIN_VERSION } from './version.js';
export {
  checkGpuImageAccelerator,
  checkMachineSpec,
  GPU_IMAGE_ACCELERATORS,
  KNOWN_ACCELERATORS,
  type MachineChoice,
} from './vertex/accelerators.js';
export {
  type AdoptedVersion,
  type AdoptRemoteVersionOptions,
  adoptRemoteVersion,
} from './vertex/adopt-remote-version.js';
export { configDifferences, configOverrides } from './vertex/config-drift.js';
export {
  buildVertexJobRequest,
  JOB_ENTRY,
  SECRETS_ENV,
  type VertexCustomJob,
  type VertexJobOptions,
  vertexApiBase,
} from './vertex/custom-job.js';
export {
  type JobEntryOptions,
  type JobSecret,
  parseJobSecrets,
  resolveJobSecrets,
  runJobEntry,
} from './vertex/job-entry.js';
export {
  readJobPackage,
  readJobResult,
  type VertexJobPackage,
  type VertexJobResult,
  writeJobFile,
} from './vertex/job-files.js';
export { type RunVertexJobOptions, runVertexJob, type VertexJobStatus } from './vertex/run-vertex-job.js';
