import type { ModelRegistry } from '@mlops/core';
import type { FastifyInstance } from 'fastify';
import { errorBody, ServerError } from '../errors.js';
import type { ServerMetrics } from '../metrics.js';
import type { ModelPool } from '../model-pool.js';
import { healthSchema, metricsSchema, readySchema } from './schemas.js';

/** What the probe routes need from the server. */
export interface ProbeContext {
  /** Registry asked why the alias is not ready. */
  registry: ModelRegistry;
  /** Served model name. */
  model: string;
  /** The alias `/readyz` waits for. */
  alias: string;
  /** The served model's pool. */
  pool: ModelPool;
  /** Prometheus metrics; without them `/metrics` is not registered. */
  metrics: ServerMetrics | undefined;
}

/**
 * Registers the operations routes: `GET /healthz` (the process runs), `GET /readyz` (the served
 * alias is loaded; a 503 says whether it is loading or missing from the registry) and, with
 * metrics, `GET /metrics` (Prometheus text format).
 */
export function registerProbeRoutes(app: FastifyInstance, ctx: ProbeContext): void {
  const { metrics, pool, alias, model } = ctx;
  if (metrics) {
    app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    });
  }
  app.get('/healthz', { schema: healthSchema }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: readySchema }, async (_request, reply) => {
    const version = pool.servedVersion(alias);
    if (version === undefined) {
      void pool.preload(alias);
      // Say why: "not loaded yet" resolves itself, a missing alias needs a promotion.
      const aliases = await ctx.registry
        .listModels()
        .then((models) => models.find((m) => m.name === model)?.aliases)
        .catch(() => undefined);
      const missing = aliases !== undefined && aliases[alias] === undefined;
      const error = new ServerError(
        'MLOPS_SRV_ERR_NOT_READY',
        missing
          ? `Model "${model}" has no "${alias}" alias yet (aliases: ${Object.keys(aliases).join(', ') || 'none'}); promote a version with \`mlops registry promote ${model} <version> ${alias}\`.`
          : `The ${alias} model is not loaded yet.`,
      );
      return reply.code(error.statusCode).send(errorBody(error));
    }
    return { status: 'ready', model, alias, version };
  });
}
