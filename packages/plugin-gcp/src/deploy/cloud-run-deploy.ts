/**
 * Sends the Cloud Run request built by `buildCloudRunRequest` and waits for the rollout. First the
 * service is read (`services.get`; 404 = a new service), so the body can be merged with what is
 * there (see `mergeWithCurrent`) and a `--traffic latest=N` canary can keep the rest of the
 * traffic where it is; then the PATCH (with its `updateMask`) returns a long-running operation
 * whose response is the Service. The deploy succeeded when the service's terminal condition is
 * `CONDITION_SUCCEEDED` and a ready revision serves it. `--allow-unauthenticated` then sets the
 * invoker binding (see `cloud-run-iam.ts`).
 */
import { gcpErrors } from '../errors.js';
import type { GoogleApiClient } from '../google-api/google-api-client.js';
import {
  type LongRunningOperation,
  type WaitOptions,
  waitForOperation,
} from '../google-api/long-running-operation.js';
import { type PublicAccessChange, setPublicAccess } from './cloud-run-iam.js';
import {
  type ApiRequest,
  type CloudRunService,
  type CurrentService,
  mergeWithCurrent,
} from './cloud-run-service.js';
import { resolveTraffic, type TrafficSpec } from './traffic.js';

/** What a finished deploy reports. */
export interface CloudRunDeployResult {
  /** Service resource name. */
  service: string;
  /** The newest ready revision, e.g. `my-model-00003-abc`. */
  revision: string;
  /** The service's HTTPS URL. */
  url: string;
  /** How traffic is split now: revision (or `LATEST`) → percent. */
  traffic: { revision: string; percent: number; tag?: string }[];
  /** Whether `allUsers` was granted or revoked the invoker role (`--allow-unauthenticated`). */
  publicAccess?: PublicAccessChange;
}

/** Options of {@link deployToCloudRun}. */
export interface CloudRunDeployWaitOptions extends WaitOptions {
  /** Cloud Run API base URL. */
  baseUrl: string;
  /** `--traffic`; without it the new revision takes all traffic. */
  traffic?: TrafficSpec;
  /** `--allow-unauthenticated` (true) / `--no-allow-unauthenticated` (false); unset leaves IAM alone. */
  allowUnauthenticated?: boolean;
}

/** Sends `request` and waits until the new revision is ready (or failed). */
export async function deployToCloudRun(
  client: GoogleApiClient,
  request: ApiRequest<CloudRunService>,
  options: CloudRunDeployWaitOptions,
): Promise<CloudRunDeployResult> {
  const name = request.body.name;
  const what = `deploy of ${name}`;
  const role = 'roles/run.admin (or roles/run.developer plus roles/iam.serviceAccountUser)';
  const current = await client.request<CurrentService>(
    'GET',
    `${options.baseUrl}/${name}`,
    undefined,
    `read the Cloud Run service ${name}`,
    { allowNotFound: true, role },
  );
  const body = mergeWithCurrent(request.body, current);
  if (options.traffic || current) body.traffic = resolveTraffic(options.traffic, current);
  const operation = (await client.request<LongRunningOperation<CurrentService>>(
    request.method,
    request.url,
    body,
    what,
    { role },
  )) as LongRunningOperation<CurrentService>;
  const service = await waitForOperation(client, options.baseUrl, operation, what, {
    failureHint:
      'Read the revision logs (the logs link above); a server that fails /readyz (no model under the alias, no bucket access, a secret it may not read) never becomes ready.',
    ...options,
  });
  const condition = service?.terminalCondition;
  if (!service || condition?.state !== 'CONDITION_SUCCEEDED' || !service.latestReadyRevision) {
    throw gcpErrors.create(
      'MLOPS_GCP_ERR_DEPLOY',
      `${what} finished without a ready revision (${condition?.state ?? 'no terminal condition'}): ${condition?.message ?? ''}`.trim(),
      {
        hint: 'Read the revision logs in the Cloud Run console; a server that fails /readyz (no model under the alias, no bucket access) never becomes ready.',
      },
    );
  }
  const publicAccess =
    options.allowUnauthenticated === undefined
      ? undefined
      : await setPublicAccess(client, service.name ?? name, options.allowUnauthenticated, options.baseUrl);
  const traffic = (service.trafficStatuses ?? []).map((t) => ({
    revision:
      t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST'
        ? `LATEST (${service.latestReadyRevision})`
        : (t.revision ?? ''),
    percent: t.percent ?? 0,
    ...(t.tag ? { tag: t.tag } : {}),
  }));
  return {
    service: service.name ?? name,
    revision: service.latestReadyRevision,
    url: service.uri ?? '',
    traffic,
    ...(publicAccess ? { publicAccess } : {}),
  };
}
