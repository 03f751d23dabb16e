import { createHash, timingSafeEqual } from 'node:crypto';
import type { AliasMove, ModelRegistry } from '@mlops/core';
import type { FastifyInstance } from 'fastify';
import { isRegistryNotFound, ServerError } from '../errors.js';
import type { ModelPool } from '../model-pool.js';
import { openApiBody, promoteBody, promoteSchema } from './schemas.js';

/** What the promotion route needs from the server. */
export interface PromoteContext {
  /** Registry the alias is moved in. */
  registry: ModelRegistry;
  /** Bearer token the request must carry (non-empty). */
  token: string;
  /** Evaluation gate passed to `registry.promote` (unless the request sets `force`). */
  gate?: { metric: string; mode?: 'max' | 'min' };
  /** The pool serving a model, if this server serves it. */
  servedPool(name: string): ModelPool | undefined;
}

/** True when `header` is `Bearer <token>` with the expected token (compared in constant time). */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const given = createHash('sha256').update(match[1]!).digest();
  return timingSafeEqual(given, expected);
}

/**
 * `POST /v1/models/:name/aliases/:alias` `{"version", "force"?, "reason"?}`: moves the alias in the
 * registry (gate applied) and answers the `AliasMove` once this server serves the new version.
 */
export function registerPromoteRoute(app: FastifyInstance, ctx: PromoteContext): void {
  const expected = createHash('sha256').update(ctx.token).digest();
  app.post(
    '/v1/models/:name/aliases/:alias',
    { schema: promoteSchema, config: openApiBody(promoteBody) },
    async (request) => {
      if (!bearerMatches(request.headers.authorization, expected)) {
        throw new ServerError(
          'MLOPS_SRV_ERR_UNAUTHORIZED',
          'Missing or invalid bearer token (send "Authorization: Bearer <token>").',
        );
      }
      const { name, alias } = request.params as { name: string; alias: string };
      const body = (request.body ?? {}) as { version?: unknown; force?: unknown; reason?: unknown };
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new ServerError('MLOPS_SRV_ERR_BAD_REQUEST', 'The body must be a JSON object.');
      }
      if (typeof body.version !== 'number' || !Number.isInteger(body.version) || body.version < 1) {
        throw new ServerError('MLOPS_SRV_ERR_BAD_REQUEST', '"version" must be a positive integer.');
      }
      if (body.force !== undefined && typeof body.force !== 'boolean') {
        throw new ServerError('MLOPS_SRV_ERR_BAD_REQUEST', '"force" must be a boolean.');
      }
      if (body.reason !== undefined && typeof body.reason !== 'string') {
        throw new ServerError('MLOPS_SRV_ERR_BAD_REQUEST', '"reason" must be a string.');
      }
      let move: AliasMove;
      try {
        move = await ctx.registry.promote(name, body.version, alias, {
          actor: 'http',
          ...(body.force !== undefined ? { force: body.force } : {}),
          ...(body.reason !== undefined ? { reason: body.reason } : {}),
          ...(ctx.gate ? { gate: ctx.gate } : {}),
        });
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (code === 'MLOPS_ERR_REGISTRY_GATE') {
          throw new ServerError('MLOPS_SRV_ERR_GATE_REFUSED', (error as Error).message, {
            cause: error,
          });
        }
        if (isRegistryNotFound(error)) {
          throw new ServerError(
            'MLOPS_SRV_ERR_MODEL_NOT_FOUND',
            `Model "${name}" has no version ${body.version}.`,
            { cause: error },
          );
        }
        throw error;
      }
      const served = ctx.servedPool(name);
      if (served) {
        // With watch() the registry already reported the move; otherwise apply it here.
        if (!ctx.registry.watch) served.applyMove(move);
        await served.settled();
      }
      return move;
    },
  );
}
