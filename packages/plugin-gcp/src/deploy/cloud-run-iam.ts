/**
 * `--allow-unauthenticated`: who may invoke the service is IAM, not ingress — a service with
 * public ingress still answers 403 to a caller without `roles/run.invoker`. Granting it to
 * `allUsers` is a read-modify-write of the service's policy (`services.getIamPolicy`, then
 * `services.setIamPolicy` with the etag it returned, retried when someone else changed the policy
 * in between), so every other binding stays as it is. `--no-allow-unauthenticated` removes
 * `allUsers` again.
 */
import { MlopsError } from '@mlops/core';
import { type GoogleApiClient, GoogleApiError, isApiStatus } from '../google-api/google-api-client.js';
import type { ApiRequest } from './cloud-run-service.js';

/** The invoker role. */
export const INVOKER_ROLE = 'roles/run.invoker';
/** The principal that means: anyone, without a credential. */
export const ALL_USERS = 'allUsers';

/** A v1 IAM `Binding`. */
export interface IamBinding {
  role: string;
  members: string[];
  condition?: { expression?: string; title?: string; description?: string; location?: string };
}

/** A v1 IAM `Policy` (the fields mlops reads and writes back). */
export interface IamPolicy {
  version?: number;
  bindings?: IamBinding[];
  etag?: string;
  auditConfigs?: unknown[];
}

/** A v1 `SetIamPolicyRequest`. */
export interface SetIamPolicyRequest {
  policy: IamPolicy;
}

/** What happened to public access. */
export type PublicAccessChange = 'granted' | 'revoked' | 'unchanged';

/** `policy` with `allUsers` added to (or removed from) the unconditional invoker binding. */
export function withPublicAccess(policy: IamPolicy, allow: boolean): IamPolicy {
  const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...b.members] }));
  const invoker = bindings.find((b) => b.role === INVOKER_ROLE && !b.condition);
  if (allow) {
    if (invoker) {
      if (!invoker.members.includes(ALL_USERS)) invoker.members.push(ALL_USERS);
    } else bindings.push({ role: INVOKER_ROLE, members: [ALL_USERS] });
  } else if (invoker) {
    invoker.members = invoker.members.filter((m) => m !== ALL_USERS);
  }
  return { ...policy, bindings: bindings.filter((b) => b.members.length > 0) };
}

/** The setIamPolicy request as `--dry-run` shows it (merged into the current policy when sent). */
export function publicAccessRequest(
  serviceName: string,
  allow: boolean,
  baseUrl: string,
): ApiRequest<SetIamPolicyRequest> {
  return {
    method: 'POST',
    url: `${baseUrl}/${serviceName}:setIamPolicy`,
    body: { policy: withPublicAccess({ bindings: [] }, allow) },
  };
}

/** Grants or revokes public access; see the module comment. */
export async function setPublicAccess(
  client: GoogleApiClient,
  serviceName: string,
  allow: boolean,
  baseUrl: string,
): Promise<PublicAccessChange> {
  const role = 'roles/run.admin (run.services.setIamPolicy)';
  for (let attempt = 0; ; attempt++) {
    const policy = (await client.request<IamPolicy>(
      'GET',
      `${baseUrl}/${serviceName}:getIamPolicy?options.requestedPolicyVersion=3`,
      undefined,
      `read the IAM policy of ${serviceName}`,
      { role },
    )) as IamPolicy;
    const next = withPublicAccess(policy, allow);
    if (JSON.stringify(next.bindings) === JSON.stringify(policy.bindings ?? [])) return 'unchanged';
    try {
      await client.request<IamPolicy>(
        'POST',
        `${baseUrl}/${serviceName}:setIamPolicy`,
        { policy: next } satisfies SetIamPolicyRequest,
        `${allow ? 'allow' : 'stop'} unauthenticated calls to ${serviceName}`,
        { role },
      );
      return allow ? 'granted' : 'revoked';
    } catch (error) {
      // 409: the etag is stale, someone changed the policy meanwhile; read it again.
      if (isApiStatus(error, 409) && attempt < 4) continue;
      if (
        allow &&
        error instanceof GoogleApiError &&
        error.status === 400 &&
        /allUsers|domain/i.test(error.message)
      ) {
        throw new MlopsError('MLOPS_ERR_REMOTE_REQUEST', `${error.message}`, {
          hint: 'An organization policy (domain restricted sharing) forbids allUsers in this project: keep the service private and call it with an identity token, or ask an admin for an exception.',
          cause: error,
        });
      }
      throw error;
    }
  }
}
