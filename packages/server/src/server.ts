import multipart from '@fastify/multipart';
import type { ArtifactStore, ImageInput, LoadedModel, ModelRegistry, Prediction, Runtime } from '@mlops/core';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { PREPRODUCTION_ALIAS, PRODUCTION_ALIAS } from './aliases.js';
import { type BatchingOptions, MicroBatcher } from './batcher.js';
import { DriftHub } from './drift/monitor.js';
import { errorBody, payloadTooLarge, ServerError } from './errors.js';
import { DEFAULT_MAX_PIXELS } from './image-header.js';
import { ServerMetrics } from './metrics.js';
import { ModelPool, type PoolHooks } from './model-pool.js';
import { registerOpenApi } from './openapi.js';
import { createDummyModel, DEFAULT_REPOSITORY_URL, registerLegacyRoutes } from './routes/legacy.js';
import { registerProbeRoutes } from './routes/probes.js';
import { registerPromoteRoute } from './routes/promote.js';
import { DEFAULT_MAX_BATCH, registerV1Routes } from './routes/v1.js';
import { registerWebModelRoutes } from './routes/web-model.js';
import { type OnnxRuntimeWebResolver, registerUiRoutes } from './ui/ui-routes.js';
import { decodeUpload, type ImageDecoder } from './upload.js';
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
  /**
   * Artifact store the versions' `reference-stats` artifacts are read from (without it drift is
   * disabled), and the web page's ONNX files and sample images (without it the page runs nothing
   * in the browser).
   */
  store?: ArtifactStore;
  /** Drift sliding window, in inputs. Default 500. */
  driftWindow?: number;
  /** Inputs needed before drift scores are reported. Default 300 (at most `driftWindow`). */
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
  /**
   * Where the web page's onnxruntime-web files are (an optional peer dependency); default: the
   * installed package, and without it the page shows the server's answer only.
   */
  resolveOnnxRuntimeWeb?: OnnxRuntimeWebResolver;
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

const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;

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

/**
 * Creates the inference server (not listening): the legacy HTTP contract (`routes/legacy.ts`),
 * `/healthz`, `/readyz` and `/metrics` (`routes/probes.ts`), the versioned API (`routes/v1.ts`),
 * promotion (`routes/promote.ts`), the web page and the API docs. Here only the shared parts are
 * wired: model pools (loaded per alias on first use and in the background at `ready()`, cached by
 * version, hot-swapped when the registry reports an alias move), micro-batching, metrics, drift,
 * the JSON error answers and graceful shutdown.
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
      // Fastify's own errors: body too large, a type no parser reads, other client errors
      // (schema validation, bad JSON: all 400s), or a bug.
      const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
      if (status === 413) {
        out = payloadTooLarge(request.routeOptions.bodyLimit ?? bodyLimit);
      } else if (status === 415) {
        out = new ServerError('MLOPS_SRV_ERR_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type.');
      } else if (status >= 400 && status < 500) {
        out = new ServerError('MLOPS_SRV_ERR_BAD_REQUEST', error.message || 'Bad request.');
      } else {
        out = new ServerError('MLOPS_SRV_ERR_INTERNAL', 'Internal server error.');
      }
    }
    if (out.statusCode >= 500) request.log.error({ err: error }, out.message);
    void reply.code(out.statusCode).send(errorBody(out));
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new ServerError(
      'MLOPS_SRV_ERR_ROUTE_NOT_FOUND',
      `Route ${request.method} ${request.url} not found.`,
    );
    void reply.code(error.statusCode).send(errorBody(error));
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

  const decode = (file: { bytes: Uint8Array; mimeType: string }) =>
    decodeUpload(file, options.decode, maxPixels);
  void app.register(async (routes) => {
    registerLegacyRoutes(routes, {
      model: options.model,
      repositoryUrl: options.repositoryUrl ?? DEFAULT_REPOSITORY_URL,
      pool,
      dummy: options.dummy ?? createDummyModel(),
      decode,
      predict: runPredict,
      drift,
      bodyLimit,
    });
    // These share the legacy routes' context, and so its catch-all body parser: a promotion with
    // a body that is not JSON reaches its handler, which answers 400 for the missing version.
    registerProbeRoutes(routes, {
      registry: options.registry,
      model: options.model,
      alias: servedAlias,
      pool,
      metrics,
    });
    registerUiRoutes(routes, { resolveOnnxRuntimeWeb: options.resolveOnnxRuntimeWeb });
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
      decode,
      maxBatch,
      predict: runPredict,
      drift,
    });
    registerWebModelRoutes(v1, {
      registry: options.registry,
      store: options.store,
      defaultAlias: servedAlias,
    });
  });

  return app;
}
