import multipart from '@fastify/multipart';
import type {
  ArtifactStore,
  ImageInput,
  LoadedModel,
  ModelRegistry,
  ModelVersion,
  Prediction,
  Runtime,
} from '@mlops/core';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { type BatchingOptions, MicroBatcher } from './batcher.js';
import { drainBody } from './drain-body.js';
import { DriftHub } from './drift/monitor.js';
import { type ErrorBody, isRegistryNotFound, payloadTooLarge, ServerError } from './errors.js';
import { DEFAULT_MAX_PIXELS } from './image-header.js';
import { ServerMetrics } from './metrics.js';
import { ModelPool, type PoolHooks } from './model-pool.js';
import { registerOpenApi } from './openapi.js';
import { registerPromoteRoute } from './routes/promote.js';
import {
  aboutSchema,
  healthSchema,
  legacyPredictBody,
  legacyPredictSchema,
  metricsSchema,
  openApiBody,
  readySchema,
  rootSchema,
} from './routes/schemas.js';
import { DEFAULT_MAX_BATCH, registerV1Routes } from './routes/v1.js';
import { registerUiRoutes } from './ui/ui-routes.js';
import { decodeUpload, type ImageDecoder, LEGACY_FILE_FIELD, readImageFile } from './upload.js';
import { SERVER_VERSION } from './version.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Where model versions and aliases live. */
  registry: ModelRegistry;
  /**
   * The alias this server is for (default `production`): `/readyz` is ready once it is loaded, and
   * `/v1` predicts without `?alias=` use it. The legacy routes keep their fixed aliases.
   */
  alias?: string;
  /** Loads registry versions for inference. */
  runtime: Runtime;
  /** Registered model name to serve. */
  model: string;
  /** Decoder of uploaded images (e.g. the sharp-based one of `@mlops/plugin-tfjs`). Required to predict. */
  decode?: ImageDecoder;
  /** Model behind `/api/predict/dummy/`; defaults to one answering 100% `unknown`. */
  dummy?: LoadedModel;
  /** `repository_url` reported by `/about/`. */
  repositoryUrl?: string;
  /** Serves the OpenAPI document (`/docs/json`) and the Swagger UI page (`/docs`). Default true. */
  docs?: boolean;
  /**
   * On `close()`, in-flight requests are drained (new connections are refused at once); after
   * this many ms the connections still open are cut. Default 25 000.
   */
  drainTimeoutMs?: number;
  /** Enables Fastify's logger (pino). Default false. */
  logger?: boolean;
  /** Largest accepted upload, in bytes. Default 10 MB. */
  bodyLimit?: number;
  /**
   * Largest accepted image, in pixels (width × height), checked from the image header before
   * decoding (decompression bombs) and again after. Default 40 000 000.
   */
  maxPixels?: number;
  /** Aliases loaded at `ready()` (in the background). Default `['production', 'preproduction']`. */
  preload?: string[];
  /**
   * Told, in one line, when preloading finds aliases (or the model) missing from the registry:
   * which ones, and the command that promotes a version. Default: a warning on the server's log.
   */
  onMissingAliases?: (message: string, aliases: string[]) => void;
  /** Most images accepted by one `/v1` predict request (413 beyond). Default 64. */
  maxBatch?: number;
  /** Serves Prometheus metrics at `/metrics` (own registry per server). Default true. */
  metrics?: boolean;
  /** Explicitly requested versions (`/v1 …?version=`) kept loaded per model, LRU. Default 2. */
  versionCacheSize?: number;
  /** Artifact store the versions' `reference-stats` artifacts are read from; without it drift is disabled. */
  store?: ArtifactStore;
  /** Drift sliding window, in inputs. Default 500. */
  driftWindow?: number;
  /** Inputs needed before drift scores are reported. Default 50. */
  driftMinSamples?: number;
  /**
   * Bearer token of `POST /v1/models/:name/aliases/:alias`; without it (or when empty) the
   * promotion route is not registered.
   */
  promoteToken?: string;
  /** Evaluation gate applied by the promotion route (unless the request sets `force`). */
  gate?: { metric: string; mode?: 'max' | 'min' };
  /**
   * Micro-batching of concurrent predicts per loaded model version (default on, 16 images,
   * 2 ms); `false` sends every request to the model on its own.
   */
  batching?: BatchingOptions | false;
}

/** What the server adds to the Fastify instance, under `app.mlops`. */
export interface ServerState {
  /** Served model name. */
  readonly model: string;
  /** The per-alias model cache. */
  readonly pool: ModelPool;
  /** Resolves when background loads and alias swaps started so far are done. */
  settled(): Promise<void>;
  /** Prometheus metrics of this server (undefined with `metrics: false`). */
  readonly metrics: ServerMetrics | undefined;
  /** Drift monitors, one per served model version. */
  readonly drift: DriftHub;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** mlops serving state. */
    mlops: ServerState;
  }
}

/** Alias served by `POST /api/predict/`. */
export const PRODUCTION_ALIAS = 'production';
/** Alias served by `POST /api/predict/preproduction/`. */
export const PREPRODUCTION_ALIAS = 'preproduction';
/** Default `repository_url` of `/about/`. */
export const DEFAULT_REPOSITORY_URL = 'https://www.npmjs.com/package/@mlops/server';
/** Number of classes returned by the legacy predict routes. */
export const LEGACY_TOP_K = 5;

const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;

/** The fallback model of `/api/predict/dummy/`: uniform probabilities over `["unknown"]`. */
export function createDummyModel(labels: string[] = ['unknown']): LoadedModel {
  const version: ModelVersion = {
    model: 'dummy',
    version: 0,
    artifacts: {},
    metrics: {},
    lineage: {},
    metadata: {},
    createdAt: new Date(0).toISOString(),
    aliases: [],
  };
  return {
    version,
    labels,
    async predict(images: ImageInput[], topK = 5) {
      const probability = 1 / labels.length;
      return images.map(() => ({
        top: labels.slice(0, topK).map((label) => ({ label, probability })),
      }));
    },
    async dispose() {},
  };
}

/**
 * Which route answers from which alias, for the start-up log: the legacy routes keep their fixed
 * aliases whatever `alias` says; `/v1` predicts and `/readyz` follow `alias`.
 */
export function routeAliases(options: { model: string; alias?: string; dummy?: string }): string[] {
  const served = options.alias ?? PRODUCTION_ALIAS;
  const lines = [
    `POST /api/predict/ → ${options.model}@${PRODUCTION_ALIAS}`,
    `POST /api/predict/preproduction/ → ${options.model}@${PREPRODUCTION_ALIAS}`,
    `POST /api/predict/dummy/ → ${options.dummy ?? 'the stand-in model (100% unknown)'}`,
    `POST /v1/models/${options.model}/predict → ${options.model}@${served} (?alias= or ?version= picks another)`,
    `GET /readyz → ready once ${options.model}@${served} is loaded`,
  ];
  if (served !== PRODUCTION_ALIAS) {
    lines.push(
      `this server is for "${served}": /v1 and /readyz use it, while /api/predict/ still answers from "${PRODUCTION_ALIAS}" (the old contract); use /api/predict/${served === PREPRODUCTION_ALIAS ? 'preproduction/' : ''} or /v1 for "${served}"`,
    );
  }
  return lines;
}

/** The one line said when preloading finds aliases (or the model itself) missing. */
async function missingAliasesMessage(
  registry: ModelRegistry,
  model: string,
  missing: string[],
): Promise<string> {
  const [first] = missing;
  const exists = await registry
    .listModels()
    .then((models) => models.some((m) => m.name === model))
    .catch(() => true);
  if (!exists) {
    return `model "${model}" is not in the registry yet: its routes answer 404 until a run registers it (mlops run) and a version is promoted: mlops registry promote ${model} <version> ${first}`;
  }
  const names = missing.map((alias) => `"${alias}"`);
  return `model "${model}" has no ${names.join(' or ')} alias yet: the routes serving ${missing.length > 1 ? 'them' : 'it'} answer 404 until a version is promoted: mlops registry promote ${model} <version> ${first}`;
}

function errorBody(error: ServerError): ErrorBody {
  return { message: error.message, 'status-code': error.statusCode, code: error.code };
}

/**
 * Creates the inference server (not listening): the legacy HTTP contract (`/`, `/about/`,
 * `/api/predict/`, `/api/predict/preproduction/`, `/api/predict/dummy/`) plus `/healthz` and
 * `/readyz`. Models are loaded per alias on first use (and in the background at `ready()`),
 * cached by version, and hot-swapped when the registry reports an alias move.
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit });
  const pools = new Map<string, ModelPool>();
  const drift = new DriftHub({
    store: options.store,
    window: options.driftWindow,
    minSamples: options.driftMinSamples,
    onError: (err, version) =>
      app.log.warn({ err, model: version.model, version: version.version }, 'reference stats unreadable'),
  });
  const metrics =
    options.metrics === false
      ? undefined
      : new ServerMetrics(() => [...pools.entries()].map(([name, p]) => [name, p.servedAliases()]), {
          drift: () =>
            [...drift.entries()].map(({ version, monitor }) => {
              const { scores } = monitor.report();
              return {
                model: version.model,
                version: version.version,
                inputPsi: scores.inputPsi,
                predictionPsi: scores.predictionPsi,
              };
            }),
        });
  const poolHooks: PoolHooks = {
    onLoad: (model, _version, seconds) => metrics?.modelLoad.observe({ model }, seconds),
  };
  const poolOf = (name: string): ModelPool => {
    let found = pools.get(name);
    if (!found) {
      found = new ModelPool(
        options.registry,
        options.runtime,
        name,
        {
          info: (obj, msg) => app.log.info(obj, msg),
          error: (obj, msg) => app.log.error(obj, msg),
        },
        poolHooks,
        options.versionCacheSize ?? 2,
      );
      pools.set(name, found);
    }
    return found;
  };
  const pool = poolOf(options.model);
  const batching = options.batching === false ? undefined : (options.batching ?? {});
  const batchers = new WeakMap<LoadedModel, MicroBatcher>();
  /** Predicts through the model's micro-batcher (or directly with `batching: false`), with metrics. */
  const runPredict = (
    label: string,
    model: LoadedModel,
    images: ImageInput[],
    topK: number,
  ): Promise<Prediction[]> => {
    if (!batching) {
      metrics?.batchSize.observe({ model: label }, images.length);
      return model.predict(images, topK);
    }
    let batcher = batchers.get(model);
    if (!batcher) {
      batcher = new MicroBatcher(model, batching, {
        onFlush: (size) => metrics?.batchSize.observe({ model: label }, size),
        onWait: (seconds) => metrics?.queueWait.observe({ model: label }, seconds),
      });
      batchers.set(model, batcher);
    }
    return batcher.predict(images, topK);
  };
  const dummy = options.dummy ?? createDummyModel();
  const repositoryUrl = options.repositoryUrl ?? DEFAULT_REPOSITORY_URL;
  const servedAlias = options.alias ?? PRODUCTION_ALIAS;
  const preload = options.preload ?? [...new Set([servedAlias, PRODUCTION_ALIAS, PREPRODUCTION_ALIAS])];
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;

  app.decorate('mlops', {
    model: options.model,
    pool,
    settled: async () => {
      await Promise.all([...pools.values()].map((p) => p.settled()));
    },
    metrics,
    drift,
  } satisfies ServerState);

  if (metrics) {
    // In flight from arrival until the response closes: finished, or cut by the client (which
    // runs no onResponse hook, so it is counted here with nginx's 499 "client closed request").
    app.addHook('onRequest', async (request, reply) => {
      metrics.inFlight.inc();
      reply.raw.once('close', () => {
        metrics.inFlight.dec();
        if (!reply.raw.writableFinished) {
          const route = request.routeOptions.url ?? 'unmatched';
          metrics.observeRequest(route, request.method, 499, reply.elapsedTime / 1000);
        }
      });
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.observeRequest(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    });
  }

  void app.register(multipart, {
    limits: {
      fileSize: bodyLimit,
      files: Math.max(4, maxBatch + 1),
      fields: 16,
      parts: Math.max(4, maxBatch + 1) + 16,
      fieldSize: 64 * 1024,
    },
  });

  app.setErrorHandler((error: FastifyError | ServerError, request, reply) => {
    let out: ServerError;
    if (error instanceof ServerError) {
      out = error;
    } else {
      const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
      if (status === 413) {
        out = payloadTooLarge(request.routeOptions.bodyLimit ?? bodyLimit);
      } else if (status === 415) {
        out = new ServerError(415, 'MLOPS_SRV_ERR_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type.');
      } else if (status >= 400 && status < 500) {
        out = new ServerError(status, 'MLOPS_SRV_ERR_BAD_REQUEST', error.message || 'Bad request.');
      } else {
        out = new ServerError(500, 'MLOPS_SRV_ERR_INTERNAL', 'Internal server error.');
      }
    }
    if (out.statusCode >= 500) request.log.error({ err: error }, out.message);
    void reply.code(out.statusCode).send(errorBody(out));
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new ServerError(
      404,
      'MLOPS_SRV_ERR_ROUTE_NOT_FOUND',
      `Route ${request.method} ${request.url} not found.`,
    );
    void reply.code(404).send(errorBody(error));
  });

  app.addHook('onReady', async () => {
    const loading = preload.map((alias) => pool.preload(alias));
    // Not waited for: the server answers while models load. A missing alias is one warning line
    // (what is missing, how to promote), not an error with a stack per alias.
    void Promise.all(loading).then(async (results) => {
      const missing = preload.filter((_, i) => results[i] === 'missing');
      if (missing.length === 0) return;
      const message = await missingAliasesMessage(options.registry, options.model, missing);
      if (options.onMissingAliases) options.onMissingAliases(message, missing);
      else app.log.warn({ model: options.model, aliases: missing }, message);
    });
  });
  // close(): Fastify stops accepting connections and waits for in-flight requests (it closes the
  // HTTP server before running these onClose hooks), so models are disposed only once drained.
  let drainTimer: NodeJS.Timeout | undefined;
  let closing = false;
  // Responses sent while draining close their connection: a kept-alive socket would otherwise
  // hold close() open until the drain timeout.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('preClose', async () => {
    closing = true;
    const drainMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    drainTimer = setTimeout(() => {
      app.log.warn({ drainMs }, 'drain timeout: closing the connections still open');
      app.server.closeAllConnections();
    }, drainMs);
    drainTimer.unref();
  });
  app.addHook('onClose', async () => {
    clearTimeout(drainTimer);
    await Promise.all([...pools.values()].map((p) => p.close()));
  });

  if (options.docs !== false) registerOpenApi(app, { model: options.model, version: SERVER_VERSION });

  void app.register(async (routes) => {
    // Any other body type reaches the legacy handlers unread (as FastAPI would take it), so they
    // answer their contract's 422 "missing image_file" (or the 307 redirect) instead of a 415.
    routes.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const ok = { message: 'OK', 'status-code': 200 } as const;

    routes.get('/', { schema: rootSchema }, async () => ok);
    routes.get('/about/', { schema: aboutSchema }, async () => ({
      ...ok,
      model_name: options.model,
      repository_url: repositoryUrl,
    }));
    if (metrics) {
      routes.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
        const text = await metrics.registry.metrics();
        return reply.header('content-type', metrics.registry.contentType).send(text);
      });
    }
    routes.get('/healthz', { schema: healthSchema }, async () => ({ status: 'ok' }));
    routes.get('/readyz', { schema: readySchema }, async (_request, reply) => {
      const version = pool.servedVersion(servedAlias);
      if (version === undefined) {
        void pool.preload(servedAlias);
        // Say why: "not loaded yet" resolves itself, a missing alias needs a promotion.
        const aliases = await options.registry
          .listModels()
          .then((models) => models.find((m) => m.name === options.model)?.aliases)
          .catch(() => undefined);
        const missing = aliases !== undefined && aliases[servedAlias] === undefined;
        const error = new ServerError(
          503,
          'MLOPS_SRV_ERR_NOT_READY',
          missing
            ? `Model "${options.model}" has no "${servedAlias}" alias yet (aliases: ${Object.keys(aliases).join(', ') || 'none'}); promote a version with \`mlops registry promote ${options.model} <version> ${servedAlias}\`.`
            : `The ${servedAlias} model is not loaded yet.`,
        );
        return reply.code(503).send(errorBody(error));
      }
      return { status: 'ready', model: options.model, alias: servedAlias, version };
    });

    async function predict(request: FastifyRequest, alias: string | null) {
      const file = await readImageFile(request);
      if (!file) {
        throw new ServerError(
          422,
          'MLOPS_SRV_ERR_MISSING_FILE',
          `Missing file field "${LEGACY_FILE_FIELD}" (send multipart/form-data).`,
        );
      }
      const image = await decodeUpload(file, options.decode, maxPixels);

      let model: LoadedModel = dummy;
      let release = () => {};
      if (alias !== null) {
        try {
          const lease = await pool.acquire(alias);
          model = lease.model;
          release = lease.release;
        } catch (error) {
          if (isRegistryNotFound(error)) {
            throw new ServerError(
              404,
              'MLOPS_SRV_ERR_MODEL_NOT_FOUND',
              `No version of model "${options.model}" has the alias "${alias}".`,
              { cause: error },
            );
          }
          request.log.error({ err: error, alias }, 'model load failed');
          throw new ServerError(
            503,
            'MLOPS_SRV_ERR_MODEL_UNAVAILABLE',
            `The "${alias}" model could not be loaded.`,
            { cause: error },
          );
        }
      }
      try {
        const results = await runPredict(
          alias === null ? 'dummy' : options.model,
          model,
          [image],
          LEGACY_TOP_K,
        );
        if (alias !== null) drift.record(model.version, [image], results);
        const [prediction] = results;
        const probabilities: Record<string, number> = {};
        for (const { label, probability } of (prediction?.top ?? []).slice(0, LEGACY_TOP_K)) {
          Object.defineProperty(probabilities, label, {
            value: probability * 100,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return { ...ok, probabilities };
      } finally {
        release();
      }
    }

    const legacyPredict = (what: string) => ({
      schema: legacyPredictSchema(what),
      config: openApiBody(legacyPredictBody),
    });
    routes.post('/api/predict/', legacyPredict('the production alias'), (request) =>
      predict(request, PRODUCTION_ALIAS),
    );
    routes.post('/api/predict/preproduction/', legacyPredict('the preproduction alias'), (request) =>
      predict(request, PREPRODUCTION_ALIAS),
    );
    routes.post('/api/predict/dummy/', legacyPredict('the fallback model'), (request) =>
      predict(request, null),
    );
    // FastAPI (redirect_slashes) answers the legacy paths without their trailing slash with a 307
    // to the slashed path, which clients follow keeping method and body.
    for (const path of ['/about/', '/api/predict/', '/api/predict/preproduction/', '/api/predict/dummy/']) {
      routes.all(path.slice(0, -1), async (request, reply) => {
        const query = request.url.indexOf('?');
        // Read the body first (multipart is parsed lazily): a client still sending it when the 307
        // arrives could resend a half-consumed stream to the new location.
        if (!(await drainBody(request.raw, bodyLimit))) reply.header('connection', 'close');
        return reply.redirect(path + (query >= 0 ? request.url.slice(query) : ''), 307);
      });
    }
    registerUiRoutes(routes);

    if (options.promoteToken) {
      registerPromoteRoute(routes, {
        registry: options.registry,
        token: options.promoteToken,
        ...(options.gate ? { gate: options.gate } : {}),
        servedPool: (name) => pools.get(name),
      });
    }
  });

  void app.register(async (v1) => {
    await registerV1Routes(v1, {
      registry: options.registry,
      defaultAlias: servedAlias,
      pool: poolOf,
      decode: (file) => decodeUpload(file, options.decode, maxPixels),
      maxBatch,
      predict: runPredict,
      drift,
    });
  });

  return app;
}
