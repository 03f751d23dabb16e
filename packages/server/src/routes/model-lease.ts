import type { FastifyRequest } from 'fastify';
import { isRegistryNotFound, ServerError } from '../errors.js';
import type { ModelLease } from '../model-pool.js';

/** What a route says when a lease fails, and what it logs. */
export interface LeaseFailureText {
  /** Message of the 404 when the registry has no such model, alias or version. */
  notFound: string;
  /** Message of the 503 when the version exists but could not be loaded. */
  unavailable: string;
  /** Fields logged with the load error (model, alias, version…). */
  log: Record<string, unknown>;
}

/**
 * Borrows a model for one request, answering a failed lease the same way on every route: the
 * registry has no such model, alias or version → 404 `MLOPS_SRV_ERR_MODEL_NOT_FOUND`; anything else
 * is a failed load → logged, 503 `MLOPS_SRV_ERR_MODEL_UNAVAILABLE` (the pool retries on the next
 * request).
 */
export async function leaseModel(
  request: FastifyRequest,
  acquire: () => Promise<ModelLease>,
  text: LeaseFailureText,
): Promise<ModelLease> {
  try {
    return await acquire();
  } catch (error) {
    if (isRegistryNotFound(error)) {
      throw new ServerError('MLOPS_SRV_ERR_MODEL_NOT_FOUND', text.notFound, { cause: error });
    }
    request.log.error({ err: error, ...text.log }, 'model load failed');
    throw new ServerError('MLOPS_SRV_ERR_MODEL_UNAVAILABLE', text.unavailable, { cause: error });
  }
}
