#!/usr/bin/env node
/**
 * The entry a Vertex job's container runs: resolves the job's secrets from Secret Manager, then
 * runs `mlops` with the arguments given (see `vertex/job-entry.ts`).
 */
import { isMlopsError } from '@mlops/core';
import { createStorageClient } from './gcs/storage-client.js';
import { GoogleApiClient } from './google-api/google-api-client.js';
import { runJobEntry } from './vertex/job-entry.js';

try {
  const client = new GoogleApiClient({ tokens: createStorageClient().authClient });
  process.exitCode = await runJobEntry(process.argv.slice(2), {
    client,
    ...(process.env.MLOPS_GCP_SECRET_MANAGER_ENDPOINT
      ? { secretManager: process.env.MLOPS_GCP_SECRET_MANAGER_ENDPOINT }
      : {}),
  });
} catch (error) {
  process.stderr.write(`mlops job: ${error instanceof Error ? error.message : String(error)}\n`);
  if (isMlopsError(error) && error.hint) process.stderr.write(`hint: ${error.hint}\n`);
  process.exitCode = 1;
}
