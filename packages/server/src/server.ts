import { createHash, timingSafeEqual } from 'node:crypto';
import multipart from '@fastify/multipart';
import type {
  AliasMove,
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
import { DriftHub } from './drift/monitor.js';
import { type ErrorBody, isRegistryNotFound, ServerError } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { ModelPool, type PoolHooks } from './model-pool.js';
import { DEFAULT_MAX_BATCH, registerV1Routes } from './routes/v1.js';

/** Decodes image bytes of an accepted MIME type into pixels; rejects undecodable input. */
export type ImageDecoder = (bytes: Uint8Array, mimeType: string) => Promise<ImageInput>;

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Where model versions and aliases live. */
  registry: ModelRegistry;
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
  /** Enables Fastify's logger (pino). Default false. */
  logger?: boolean;
  /** Largest accepted upload, in bytes. Default 10 MB. */
  bodyLimit?: number;
  /** Aliases loaded at `ready()` (in the background). Default `['production', 'preproduction']`. */
  preload?: string[];
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
/** MIME types accepted by the predict routes. */
export const ACCEPTED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/svg+xml', 'image/webp'] as const;
/** Number of classes returned by the legacy predict routes. */
export const LEGACY_TOP_K = 5;

const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
const FILE_FIELD = 'image_file';
const TYPE_ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/svg': 'image/svg+xml',
  'image/x-png': 'image/png',
};

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

function normalizeType(mimeType: string): string {
  const base = mimeType.split(';')[0]!.trim().toLowerCase();
  return TYPE_ALIASES[base] ?? base;
}

/** Guesses the type of an upload sent as `application/octet-stream` from its first bytes. */
function sniffType(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  const head = Buffer.from(bytes.subarray(0, 12)).toString('latin1');
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'image/webp';
  const text = Buffer.from(bytes.subarray(0, 256)).toString('utf8').trimStart();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'image/svg+xml';
  return undefined;
}

/**
 * Checks the type of an uploaded image (sniffing `application/octet-stream`) and decodes it,
 * answering the server's 400/501 errors for unsupported types, missing decoder or bad bytes.
 */
export async function decodeUpload(
  file: { bytes: Uint8Array; mimeType: string },
  decode: ImageDecoder | undefined,
): Promise<ImageInput> {
  let mimeType = normalizeType(file.mimeType);
  if (mimeType === 'application/octet-stream' || mimeType === '')
    mimeType = sniffType(file.bytes) ?? mimeType;
  if (!(ACCEPTED_IMAGE_TYPES as readonly string[]).includes(mimeType)) {
    throw new ServerError(
      400,
      'MLOPS_SRV_ERR_UNSUPPORTED_TYPE',
      `Unsupported file type "${file.mimeType}"; accepted types: ${ACCEPTED_IMAGE_TYPES.join(', ')}.`,
    );
  }
  if (!decode) {
    throw new ServerError(501, 'MLOPS_SRV_ERR_NO_DECODER', 'No image decoder is configured on this server.');
  }
  let image: ImageInput;
  try {
    image = await decode(file.bytes, mimeType);
  } catch (error) {
    throw new ServerError(400, 'MLOPS_SRV_ERR_BAD_IMAGE', 'The image could not be decoded.', {
      cause: error,
    });
  }
  if (
    !image ||
    !(image.data instanceof Uint8Array) ||
    image.width <= 0 ||
    image.height <= 0 ||
    image.data.length !== image.width * image.height * image.channels
  ) {
    throw new ServerError(400, 'MLOPS_SRV_ERR_BAD_IMAGE', 'The image could not be decoded.');
  }

  return image;
}

function errorBody(error: ServerError): ErrorBody {
  return { message: error.message, 'status-code': error.statusCode, code: error.code };
}

/** Reads the `image_file` part of a multipart request, draining any other part. */
async function readImageFile(
  request: FastifyRequest,
): Promise<{ bytes: Uint8Array; mimeType: string } | undefined> {
  if (!request.isMultipart()) return undefined;
  let found: { bytes: Uint8Array; mimeType: string } | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname === FILE_FIELD && !found) {
        found = { bytes: await part.toBuffer(), mimeType: part.mimetype };
      } else {
        part.file.resume();
      }
    }
  } catch (error) {
    if (error instanceof ServerError) throw error;
    const status = (error as { statusCode?: unknown }).statusCode;
    if (status === 413) {
      throw new ServerError(413, 'MLOPS_SRV_ERR_PAYLOAD_TOO_LARGE', 'Upload exceeds the size limit.', {
        cause: error,
      });
    }
    throw new ServerError(400, 'MLOPS_SRV_ERR_BAD_REQUEST', 'Malformed multipart/form-data body.', {
      cause: error,
    });
  }
  return found;
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
  const preload = options.preload ?? [PRODUCTION_ALIAS, PREPRODUCTION_ALIAS];
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;

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
        out = new ServerError(413, 'MLOPS_SRV_ERR_PAYLOAD_TOO_LARGE', 'Request body exceeds the size limit.');
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
    for (const alias of preload) pool.preload(alias);
  });
  app.addHook('onClose', async () => {
    await Promise.all([...pools.values()].map((p) => p.close()));
  });

  const ok = { message: 'OK', 'status-code': 200 } as const;

  app.get('/', async () => ok);
  app.get('/about/', async () => ({ ...ok, model_name: options.model, repository_url: repositoryUrl }));
  if (metrics) {
    app.get('/metrics', async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    });
  }
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const version = pool.servedVersion(PRODUCTION_ALIAS);
    if (version === undefined) {
      pool.preload(PRODUCTION_ALIAS);
      const error = new ServerError(
        503,
        'MLOPS_SRV_ERR_NOT_READY',
        'The production model is not loaded yet.',
      );
      return reply.code(503).send(errorBody(error));
    }
    return { status: 'ready', model: options.model, version };
  });

  async function predict(request: FastifyRequest, alias: string | null) {
    const file = await readImageFile(request);
    if (!file) {
      throw new ServerError(
        422,
        'MLOPS_SRV_ERR_MISSING_FILE',
        `Missing file field "${FILE_FIELD}" (send multipart/form-data).`,
      );
    }
    const image = await decodeUpload(file, options.decode);

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

  app.post('/api/predict/', (request) => predict(request, PRODUCTION_ALIAS));
  app.post('/api/predict/preproduction/', (request) => predict(request, PREPRODUCTION_ALIAS));
  app.post('/api/predict/dummy/', (request) => predict(request, null));

  const promoteToken = options.promoteToken;
  if (promoteToken) {
    const expected = createHash('sha256').update(promoteToken).digest();
    const authorized = (header: string | undefined): boolean => {
      const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
      if (!match) return false;
      const given = createHash('sha256').update(match[1]!).digest();
      return timingSafeEqual(given, expected);
    };
    app.post('/v1/models/:name/aliases/:alias', async (request) => {
      if (!authorized(request.headers.authorization)) {
        throw new ServerError(
          401,
          'MLOPS_SRV_ERR_UNAUTHORIZED',
          'Missing or invalid bearer token (send "Authorization: Bearer <token>").',
        );
      }
      const { name, alias } = request.params as { name: string; alias: string };
      const body = (request.body ?? {}) as { version?: unknown; force?: unknown; reason?: unknown };
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new ServerError(400, 'MLOPS_SRV_ERR_BAD_REQUEST', 'The body must be a JSON object.');
      }
      if (typeof body.version !== 'number' || !Number.isInteger(body.version) || body.version < 1) {
        throw new ServerError(400, 'MLOPS_SRV_ERR_BAD_REQUEST', '"version" must be a positive integer.');
      }
      if (body.force !== undefined && typeof body.force !== 'boolean') {
        throw new ServerError(400, 'MLOPS_SRV_ERR_BAD_REQUEST', '"force" must be a boolean.');
      }
      if (body.reason !== undefined && typeof body.reason !== 'string') {
        throw new ServerError(400, 'MLOPS_SRV_ERR_BAD_REQUEST', '"reason" must be a string.');
      }
      let move: AliasMove;
      try {
        move = await options.registry.promote(name, body.version, alias, {
          actor: 'http',
          ...(body.force !== undefined ? { force: body.force } : {}),
          ...(body.reason !== undefined ? { reason: body.reason } : {}),
          ...(options.gate ? { gate: options.gate } : {}),
        });
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (code === 'MLOPS_ERR_REGISTRY_GATE') {
          throw new ServerError(409, 'MLOPS_SRV_ERR_GATE_REFUSED', (error as Error).message, {
            cause: error,
          });
        }
        if (isRegistryNotFound(error)) {
          throw new ServerError(
            404,
            'MLOPS_SRV_ERR_MODEL_NOT_FOUND',
            `Model "${name}" has no version ${body.version}.`,
            { cause: error },
          );
        }
        throw error;
      }
      const served = pools.get(name);
      if (served) {
        // With watch() the registry already reported the move; otherwise apply it here.
        if (!options.registry.watch) served.applyMove(move);
        await served.settled();
      }
      return move;
    });
  }

  void app.register(async (v1) => {
    await registerV1Routes(v1, {
      registry: options.registry,
      pool: poolOf,
      decode: (file) => decodeUpload(file, options.decode),
      maxBatch,
      predict: runPredict,
      drift,
    });
  });

  return app;
}
