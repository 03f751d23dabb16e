import type { ImageInput, LoadedModel, ModelRegistry, ModelVersion, Prediction } from '@mlops/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PRODUCTION_ALIAS } from '../aliases.js';
import type { DriftHub } from '../drift/monitor.js';
import { isRegistryNotFound, ServerError } from '../errors.js';
import type { ModelPool } from '../model-pool.js';
import { multipartError } from '../upload.js';
import { leaseModel } from './model-lease.js';
import {
  driftSchema,
  getModelSchema,
  listModelsSchema,
  openApiBody,
  v1PredictBody,
  v1PredictSchema,
} from './schemas.js';

/** Default number of images accepted by one `/v1` predict request. */
export const DEFAULT_MAX_BATCH = 64;
/** Default `topk` of `/v1` predict. */
export const DEFAULT_TOP_K = 5;
/** Multipart file fields read by `/v1` predict. */
export const V1_FILE_FIELDS = ['image_file', 'images', 'image'] as const;

/** One uploaded image before decoding. */
export interface RawImage {
  bytes: Uint8Array;
  mimeType: string;
}

/** What the `/v1` routes need from the server. */
export interface V1Context {
  registry: ModelRegistry;
  /** Alias used when a request names neither `?alias=` nor `?version=` (default `production`). */
  defaultAlias?: string;
  /** The pool of a registry model (created on first use). */
  pool(name: string): ModelPool;
  /** Checks type and decodes one upload (answers 400/501 errors). */
  decode(file: RawImage): Promise<ImageInput>;
  /** Largest number of images per request. */
  maxBatch: number;
  /** Runs a predict on a loaded model (through the micro-batcher, with metrics). */
  predict(model: string, loaded: LoadedModel, images: ImageInput[], topK: number): Promise<Prediction[]>;
  /** Drift monitors fed with every served prediction. */
  drift?: DriftHub;
}

/** One `/v1` predict answer entry. */
export interface V1Prediction {
  top: { label: string; probability: number }[];
}

function notFound(message: string, cause?: unknown): ServerError {
  return new ServerError('MLOPS_SRV_ERR_MODEL_NOT_FOUND', message, { cause });
}

function tooMany(count: number, max: number): ServerError {
  return new ServerError(
    'MLOPS_SRV_ERR_TOO_MANY_IMAGES',
    `Too many images in one request (${count}); at most ${max} are accepted.`,
  );
}

function badRequest(message: string): ServerError {
  return new ServerError('MLOPS_SRV_ERR_BAD_REQUEST', message);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Decodes a base64 (or base64url, or `data:` URL) string; throws a 400 when malformed. */
export function decodeBase64Image(value: unknown, index: number): RawImage {
  if (typeof value !== 'string') throw badRequest(`images[${index}] must be a base64 string.`);
  let text = value.trim();
  let mimeType = 'application/octet-stream';
  const dataUrl = /^data:([^;,]*)(;[^,]*)?,/.exec(text);
  if (dataUrl) {
    if (!dataUrl[2]?.includes('base64')) throw badRequest(`images[${index}] is a data URL without base64.`);
    mimeType = dataUrl[1] || mimeType;
    text = text.slice(dataUrl[0].length);
  }
  text = text.replace(/\s+/g, '');
  if (text.length === 0 || (!BASE64.test(text) && !BASE64_URL.test(text)) || text.length % 4 === 1) {
    throw new ServerError('MLOPS_SRV_ERR_BAD_BASE64', `images[${index}] is not valid base64.`);
  }
  const bytes = new Uint8Array(Buffer.from(text, BASE64.test(text) ? 'base64' : 'base64url'));
  if (bytes.length === 0) {
    throw new ServerError('MLOPS_SRV_ERR_BAD_BASE64', `images[${index}] is empty.`);
  }
  return { bytes, mimeType };
}

async function readMultipartImages(request: FastifyRequest, max: number): Promise<RawImage[]> {
  const files: RawImage[] = [];
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if ((V1_FILE_FIELDS as readonly string[]).includes(part.fieldname)) {
        if (files.length >= max) {
          part.file.resume();
          throw tooMany(files.length + 1, max);
        }
        files.push({ bytes: new Uint8Array(await part.toBuffer()), mimeType: part.mimetype });
      } else {
        part.file.resume();
      }
    }
  } catch (error) {
    throw multipartError(error, request, () => tooMany(max + 1, max));
  }
  return files;
}

function readJsonImages(body: unknown, max: number): RawImage[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('Expected a JSON object with "images" (array of base64 strings) or "image".');
  }
  const record = body as { images?: unknown; image?: unknown };
  let values: unknown[];
  if (record.images !== undefined) {
    if (!Array.isArray(record.images)) throw badRequest('"images" must be an array of base64 strings.');
    values = record.images;
  } else if (record.image !== undefined) {
    values = [record.image];
  } else {
    values = [];
  }
  if (values.length > max) throw tooMany(values.length, max);
  return values.map((value, index) => decodeBase64Image(value, index));
}

function parseTopK(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_TOP_K;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw badRequest('"topk" must be an integer between 1 and 1000.');
  }
  return n;
}

function parseVersion(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw badRequest('"version" must be a positive integer.');
  return n;
}

function versionView(version: ModelVersion) {
  return {
    version: version.version,
    aliases: version.aliases,
    metrics: version.metrics,
    createdAt: version.createdAt,
    metadata: version.metadata,
  };
}

/**
 * Registers the versioned API under `/v1` (call inside an encapsulated plugin so the raw image
 * body parser applies to these routes only).
 */
export async function registerV1Routes(app: FastifyInstance, ctx: V1Context): Promise<void> {
  app.addContentTypeParser(/^image\//, { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });

  async function versionsOf(name: string): Promise<ModelVersion[]> {
    try {
      return await ctx.registry.listVersions(name);
    } catch (error) {
      if (isRegistryNotFound(error)) throw notFound(`Model "${name}" not found.`, error);
      throw error;
    }
  }

  app.get('/v1/models', { schema: listModelsSchema }, async () => {
    const models = await ctx.registry.listModels();
    return {
      models: models.map((m) => ({
        name: m.name,
        versions: m.versions,
        latest: m.latest,
        aliases: m.aliases,
        updatedAt: m.updatedAt,
      })),
    };
  });

  app.get<{ Params: { name: string } }>('/v1/models/:name', { schema: getModelSchema }, async (request) => {
    const { name } = request.params;
    const versions = await versionsOf(name);
    const aliases: Record<string, number> = {};
    for (const v of versions) for (const alias of v.aliases) aliases[alias] = v.version;
    return { name, aliases, versions: versions.map(versionView) };
  });

  app.get<{ Params: { name: string }; Querystring: Record<string, string | undefined> }>(
    '/v1/models/:name/drift',
    { schema: driftSchema },
    async (request) => {
      const { name } = request.params;
      const alias = request.query?.alias || ctx.defaultAlias || PRODUCTION_ALIAS;
      await versionsOf(name);
      let version: ModelVersion;
      try {
        version = await ctx.registry.resolve(name, { alias });
      } catch (error) {
        if (isRegistryNotFound(error))
          throw notFound(`No version of model "${name}" has the alias "${alias}".`, error);
        throw error;
      }
      const report = ctx.drift
        ? (await ctx.drift.monitor(version)).report()
        : {
            samples: 0,
            window: 0,
            scores: { inputPsi: null, predictionPsi: null, confidenceDelta: null },
            status: 'disabled' as const,
            reference: null,
          };
      return { model: name, version: version.version, ...report };
    },
  );

  app.post<{ Params: { name: string }; Querystring: Record<string, string | undefined> }>(
    '/v1/models/:name/predict',
    { schema: v1PredictSchema, config: openApiBody(v1PredictBody) },
    async (request) => {
      const { name } = request.params;
      const query = request.query ?? {};
      const topK = parseTopK(query.topk);
      const version = parseVersion(query.version);
      if (version !== undefined && query.alias !== undefined && query.alias !== '') {
        throw badRequest('Give either "alias" or "version", not both.');
      }
      const alias = query.alias || ctx.defaultAlias || PRODUCTION_ALIAS;

      let raw: RawImage[];
      const contentType = (request.headers['content-type'] ?? '').toLowerCase();
      if (request.isMultipart()) {
        raw = await readMultipartImages(request, ctx.maxBatch);
      } else if (contentType.startsWith('image/')) {
        const body = request.body;
        raw =
          Buffer.isBuffer(body) && body.length > 0
            ? [{ bytes: new Uint8Array(body), mimeType: contentType }]
            : [];
      } else if (contentType.startsWith('application/json')) {
        raw = readJsonImages(request.body, ctx.maxBatch);
      } else {
        raw = [];
      }
      if (raw.length === 0) {
        throw new ServerError(
          'MLOPS_SRV_ERR_MISSING_FILE',
          'No image: send multipart "image_file"/"images" files, an image/* body, or JSON {"images": [base64, ...]}.',
        );
      }
      if (raw.length > ctx.maxBatch) throw tooMany(raw.length, ctx.maxBatch);
      const images: ImageInput[] = [];
      for (const file of raw) images.push(await ctx.decode(file));

      // Model existence first, so unknown names never create a pool.
      await versionsOf(name);
      const pool = ctx.pool(name);
      const lease = await leaseModel(
        request,
        () => (version === undefined ? pool.acquire(alias) : pool.acquireVersion(version)),
        {
          notFound:
            version === undefined
              ? `No version of model "${name}" has the alias "${alias}".`
              : `Model "${name}" has no version ${version}.`,
          unavailable: `Model "${name}" could not be loaded.`,
          log: { model: name, alias, version },
        },
      );
      try {
        const results = await ctx.predict(name, lease.model, images, topK);
        ctx.drift?.record(lease.model.version, images, results);
        const predictions: V1Prediction[] = results.map((r) => ({
          top: r.top.slice(0, topK).map(({ label, probability }) => ({ label, probability })),
        }));
        return {
          model: name,
          version: lease.version,
          ...(lease.model.runtime ? { runtime: lease.model.runtime } : {}),
          predictions,
        };
      } finally {
        lease.release();
      }
    },
  );
}
