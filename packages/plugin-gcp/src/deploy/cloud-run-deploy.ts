/**
 * Sends the Cloud Run request built by `buildCloudRunRequest` and waits for the rollout: the PATCH
 * returns a long-running operation whose response is the Service; the deploy succeeded when the
 * service's terminal condition is `CONDITION_SUCCEEDED` and a ready revision serves it.
 */
import { MlopsError } from '@mlops/core';
import type { GoogleApiClient } from '../google-api/google-api-client.js';
import {
  type LongRunningOperation,
  type WaitOptions,
  waitForOperation,
} from '../google-api/long-running-operation.js';
import type { ApiRequest, CloudRunService } from './cloud-run-service.js';

/** What a finished deploy reports. */
export interface CloudRunDeployResult {
  /** Service resource name. */
  service: string;
  /** The revision now serving, e.g. `my-model-00003-abc`. */
  revision: string;
  /** The service's HTTPS URL. */
  url: string;
}

/** The Service fields read after the rollout. */
interface ServiceStatus {
  name?: string;
  uri?: string;
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  terminalCondition?: { state?: string; message?: string };
}

/** Sends `request` and waits until the new revision is ready (or failed). */
export async function deployToCloudRun(
  client: GoogleApiClient,
  request: ApiRequest<CloudRunService>,
  options: WaitOptions & { baseUrl: string },
): Promise<CloudRunDeployResult> {
  const what = `deploy of ${request.body.name}`;
  const operation = await client.request<LongRunningOperation<ServiceStatus>>(
    request.method,
    request.url,
    request.body,
    what,
  );
  const service = await waitForOperation(client, options.baseUrl, operation, what, options);
  const condition = service?.terminalCondition;
  if (!service || condition?.state !== 'CONDITION_SUCCEEDED' || !service.latestReadyRevision) {
    throw new MlopsError(
      'MLOPS_ERR_STAGE_FAILED',
      `${what} finished without a ready revision (${condition?.state ?? 'no terminal condition'}): ${condition?.message ?? ''}`.trim(),
      {
        hint: 'Read the revision logs in the Cloud Run console; a server that fails /readyz (no model under the alias, no bucket access) never becomes ready.',
      },
    );
  }
  return {
    service: service.name ?? request.body.name,
    revision: service.latestReadyRevision,
    url: service.uri ?? '',
  };
}
