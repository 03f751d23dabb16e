/**
 * The error codes `@mlops/plugin-gcp` declares (`MLOPS_GCP_ERR_*`). Credentials, unreachable or
 * failing Google APIs, bucket objects and the registry use core's codes (`MLOPS_ERR_REMOTE_*`,
 * `MLOPS_ERR_STORE_*`, `MLOPS_ERR_REGISTRY_*`), and flags that do not fit (a machine type without
 * its accelerator) are `MLOPS_ERR_USAGE`, which the CLI answers with exit code 2; `docs/errors.md`
 * lists both. (`MLOPS_GCP_STORE`, `MLOPS_GCP_REGISTRY`, `MLOPS_GCP_JOB`, `MLOPS_GCP_SECRETS`… are
 * environment variables, not codes.)
 */
import { defineErrorCatalogue } from '@mlops/core';

/** The codes `@mlops/plugin-gcp` declares; call sites use `gcpErrors.create(code, message, { hint })`. */
export const gcpErrors = defineErrorCatalogue('@mlops/plugin-gcp', {
  MLOPS_GCP_ERR_VERTEX_JOB: {
    meaning:
      'A Vertex AI training job failed, was cancelled, or ended without the package or result files mlops writes around it.',
    hint: 'Read the job logs (the message links them); rerun with `mlops train --remote vertex`.',
  },
  MLOPS_GCP_ERR_IMAGE_BUILD: {
    meaning: 'Cloud Build failed, was cancelled or timed out building the project image.',
    hint: 'Open the build log the message links; fix the Dockerfile step that failed and deploy again.',
  },
  MLOPS_GCP_ERR_BUILD_CONTEXT: {
    meaning:
      'The project folder cannot become an image: a file holds a credential, package.json or the lockfile is missing, a dependency is not declared, or the ignore rules leave nothing.',
    hint: 'Fix the file named in the message (or .gcloudignore / .dockerignore), or build the image yourself and pass --image.',
  },
  MLOPS_GCP_ERR_DEPLOY: {
    meaning:
      'A Cloud Run deploy finished without a ready revision: the container did not start or did not pass /readyz.',
    hint: 'Read the revision logs in the Cloud Run console (no model under the alias and no bucket access are the usual causes).',
  },
  MLOPS_GCP_ERR_OPERATION: {
    meaning:
      'A Google Cloud long-running operation (a deploy, an IAM or alert change) failed or did not finish in time.',
    hint: 'Check the operation in the Google Cloud console, fix what it reports, then rerun.',
  },
});

/** A code declared by `@mlops/plugin-gcp` ({@link gcpErrors}). */
export type GcpErrorCode = (typeof gcpErrors.codes)[number];
