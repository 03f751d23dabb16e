import type { ImageInput, LoadedModel, ModelVersion, Prediction } from '@mlops/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PREPRODUCTION_ALIAS, PRODUCTION_ALIAS } from '../aliases.js';
import { drainBody } from '../drain-body.js';
import type { DriftHub } from '../drift/monitor.js';
import { ServerError } from '../errors.js';
import type { ModelPool } from '../model-pool.js';
import { LEGACY_FILE_FIELD, readImageFile } from '../upload.js';
import { leaseModel } from './model-lease.js';
import { aboutSchema, legacyPredictBody, legacyPredictSchema, openApiBody, rootSchema } from './schemas.js';
import type { RawImage } from './v1.js';

/** Default `repository_url` of `/about/`. */
export const DEFAULT_REPOSITORY_URL = 'https://www.npmjs.com/package/@mlops/server';
/** Number of classes returned by the legacy predict routes. */
export const LEGACY_TOP_K = 5;

/** The legacy success body, `{"message":"OK","status-code":200}`, which every answer extends. */
const OK = { message: 'OK', 'status-code': 200 } as const;

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

/** What the legacy routes need from the server. */
export interface LegacyContext {
  /** Served model name (`model_name` of `/about/`). */
  model: string;
  /** `repository_url` of `/about/`. */
  repositoryUrl: string;
  /** The served model's pool. */
  pool: ModelPool;
  /** Model behind `/api/predict/dummy/`. */
  dummy: LoadedModel;
  /** Checks type and decodes one upload (answers 400/501 errors). */
  decode(file: RawImage): Promise<ImageInput>;
  /** Runs a predict on a loaded model (through the micro-batcher, with metrics). */
  predict(model: string, loaded: LoadedModel, images: ImageInput[], topK: number): Promise<Prediction[]>;
  /** Drift monitors fed with every prediction of a registry version. */
  drift: DriftHub;
  /** Largest body read before a slash redirect (the server's `bodyLimit`). */
  bodyLimit: number;
}

/**
 * Registers the old system's HTTP contract: `GET /`, `GET /about/`, `POST /api/predict/`
 * (production alias), `/api/predict/preproduction/`, `/api/predict/dummy/` (multipart
 * `image_file`, top-5 percentages), and FastAPI's 307 redirects of the paths without their
 * trailing slash. Call inside an encapsulated plugin: it makes every other body type reach the
 * handlers of that plugin unread.
 */
export function registerLegacyRoutes(app: FastifyInstance, ctx: LegacyContext): void {
  // Any other body type reaches the legacy handlers unread (as FastAPI would take it), so they
  // answer their contract's 422 "missing image_file" (or the 307 redirect) instead of a 415.
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.get('/', { schema: rootSchema }, async () => OK);
  app.get('/about/', { schema: aboutSchema }, async () => ({
    ...OK,
    model_name: ctx.model,
    repository_url: ctx.repositoryUrl,
  }));

  /** Answers one legacy predict from `alias`, or from the dummy model when `alias` is null. */
  async function predict(request: FastifyRequest, alias: string | null) {
    const file = await readImageFile(request);
    if (!file) {
      throw new ServerError(
        'MLOPS_SRV_ERR_MISSING_FILE',
        `Missing file field "${LEGACY_FILE_FIELD}" (send multipart/form-data).`,
      );
    }
    const image = await ctx.decode(file);
    const lease =
      alias === null
        ? { model: ctx.dummy, release: () => {} }
        : await leaseModel(request, () => ctx.pool.acquire(alias), {
            notFound: `No version of model "${ctx.model}" has the alias "${alias}".`,
            unavailable: `The "${alias}" model could not be loaded.`,
            log: { alias },
          });
    try {
      const results = await ctx.predict(
        alias === null ? 'dummy' : ctx.model,
        lease.model,
        [image],
        LEGACY_TOP_K,
      );
      if (alias !== null) ctx.drift.record(lease.model.version, [image], results);
      const probabilities: Record<string, number> = {};
      for (const { label, probability } of (results[0]?.top ?? []).slice(0, LEGACY_TOP_K)) {
        // defineProperty: a label such as "__proto__" must become a key, not change the prototype.
        Object.defineProperty(probabilities, label, {
          value: probability * 100,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return { ...OK, probabilities };
    } finally {
      lease.release();
    }
  }

  const legacyPredict = (what: string) => ({
    schema: legacyPredictSchema(what),
    config: openApiBody(legacyPredictBody),
  });
  app.post('/api/predict/', legacyPredict('the production alias'), (request) =>
    predict(request, PRODUCTION_ALIAS),
  );
  app.post('/api/predict/preproduction/', legacyPredict('the preproduction alias'), (request) =>
    predict(request, PREPRODUCTION_ALIAS),
  );
  app.post('/api/predict/dummy/', legacyPredict('the fallback model'), (request) => predict(request, null));

  // FastAPI (redirect_slashes) answers the legacy paths without their trailing slash with a 307
  // to the slashed path, which clients follow keeping method and body.
  for (const path of ['/about/', '/api/predict/', '/api/predict/preproduction/', '/api/predict/dummy/']) {
    app.all(path.slice(0, -1), async (request, reply) => {
      const query = request.url.indexOf('?');
      // Read the body first (multipart is parsed lazily): a client still sending it when the 307
      // arrives could resend a half-consumed stream to the new location.
      if (!(await drainBody(request.raw, ctx.bodyLimit))) reply.header('connection', 'close');
      return reply.redirect(path + (query >= 0 ? request.url.slice(query) : ''), 307);
    });
  }
}
