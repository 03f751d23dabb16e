import {
  type ArtifactRef,
  type ArtifactStore,
  evaluationImages,
  type ModelRegistry,
  type ModelVersion,
} from '@mlops/core';
import type { FastifyInstance } from 'fastify';
import { isRegistryNotFound, ServerError } from '../errors.js';
import { artifactSchema, sampleImageSchema, samplesSchema, webModelSchema } from './schemas.js';

/** Artifact roles the web page can run with onnxruntime-web, in order of preference. */
export const WEB_MODEL_FORMATS = ['onnx', 'onnx-int8'] as const;

/** Most sample images offered per model version. */
export const SAMPLE_IMAGES = 8;

/** Media types of the sample images, by extension (what browsers decode). */
const SAMPLE_MEDIA_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

/** What the web-model routes need from the server. */
export interface WebModelContext {
  /** Registry the versions are resolved in. */
  registry: ModelRegistry;
  /** Store holding the artifacts and datasets; without it the routes answer 404. */
  store: ArtifactStore | undefined;
  /** Alias used when a request names neither `?alias=` nor `?version=`. */
  defaultAlias: string;
}

/** One sample image of a version's evaluation split. */
export interface SampleImage {
  /** Position, for `…/samples/:index`. */
  index: number;
  /** True class. */
  label: string;
  /** Path inside the dataset tree, e.g. `test/Sneaker/00017.png`. */
  path: string;
  /** Media type. */
  mediaType: string;
}

/**
 * The artifact the page runs: the version's served format when it is an ONNX one (as the ONNX
 * runtime picks it), else fp32 ONNX, else int8.
 */
export function webModelFormat(version: ModelVersion): (typeof WEB_MODEL_FORMATS)[number] | undefined {
  const served = version.metadata.servedFormat;
  const order = [
    ...WEB_MODEL_FORMATS.filter((f) => f === served),
    ...WEB_MODEL_FORMATS.filter((f) => f !== served),
  ];
  return order.find((format) => version.artifacts[format]?.kind === 'file');
}

/**
 * A few images of the version's evaluation split (the one `metadata.evaluation` records, in the
 * data version of its lineage), read from the store's dataset tree: one per class in class order,
 * then round again, up to {@link SAMPLE_IMAGES}, each class's images in path order. Empty when
 * the version records no evaluation or the dataset is not in this store (a deployed server with
 * only the registry's artifacts).
 */
export async function sampleImages(
  store: ArtifactStore,
  version: ModelVersion,
): Promise<{ split: string | undefined; samples: (SampleImage & { hash: string })[] }> {
  const evaluation = version.metadata.evaluation as { split?: unknown; dataVersion?: unknown } | undefined;
  const split = typeof evaluation?.split === 'string' ? evaluation.split : undefined;
  const dataVersion =
    typeof evaluation?.dataVersion === 'string' ? evaluation.dataVersion : version.lineage.dataVersion;
  if (!split || typeof dataVersion !== 'string') return { split, samples: [] };
  const dataset: ArtifactRef = { hash: dataVersion, kind: 'dir', size: 0 };
  const images = await evaluationImages(store, dataset, split).catch(() => []);
  const byLabel = new Map<string, typeof images>();
  for (const image of images) {
    if (!SAMPLE_MEDIA_TYPES[extensionOf(image.path)]) continue;
    const list = byLabel.get(image.label) ?? [];
    list.push(image);
    byLabel.set(image.label, list);
  }
  const labels = Array.isArray(version.metadata.labels)
    ? (version.metadata.labels as string[]).filter((label) => byLabel.has(label))
    : [...byLabel.keys()];
  const picked: (SampleImage & { hash: string })[] = [];
  for (let round = 0; picked.length < SAMPLE_IMAGES; round++) {
    const before = picked.length;
    for (const label of labels) {
      const image = byLabel.get(label)?.[round];
      if (!image || picked.length >= SAMPLE_IMAGES) continue;
      const mediaType = SAMPLE_MEDIA_TYPES[extensionOf(image.path)] as string;
      picked.push({ index: picked.length, label, path: image.path, mediaType, hash: image.hash });
    }
    if (picked.length === before) break;
  }
  return { split, samples: picked };
}

function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(dot + 1).toLowerCase();
}

/**
 * Registers what the web page needs to run a model version in the browser and to offer sample
 * images: `GET /v1/models/:name/web-model` (which ONNX artifact, its labels and preprocessing),
 * `GET /v1/models/:name/versions/:version/artifacts/:format` (the ONNX file),
 * `GET /v1/models/:name/samples` and `GET /v1/models/:name/versions/:version/samples/:index`.
 */
export function registerWebModelRoutes(app: FastifyInstance, ctx: WebModelContext): void {
  async function resolve(name: string, query: { alias?: string; version?: number }): Promise<ModelVersion> {
    if (query.alias && query.version !== undefined) {
      throw new ServerError('MLOPS_SRV_ERR_BAD_REQUEST', 'Give either "alias" or "version", not both.');
    }
    const selector =
      query.version !== undefined ? { version: query.version } : { alias: query.alias || ctx.defaultAlias };
    try {
      return await ctx.registry.resolve(name, selector);
    } catch (error) {
      if (!isRegistryNotFound(error)) throw error;
      const what = 'version' in selector ? `no version ${selector.version}` : `no "${selector.alias}" alias`;
      throw new ServerError('MLOPS_SRV_ERR_MODEL_NOT_FOUND', `Model "${name}" has ${what}.`, {
        cause: error,
      });
    }
  }
  function requireStore(): ArtifactStore {
    if (!ctx.store) {
      throw new ServerError(
        'MLOPS_SRV_ERR_ARTIFACT_NOT_FOUND',
        'This server has no artifact store (server option store; `mlops serve` passes the project store).',
      );
    }
    return ctx.store;
  }

  app.get<{ Params: { name: string }; Querystring: { alias?: string; version?: number } }>(
    '/v1/models/:name/web-model',
    { schema: webModelSchema(WEB_MODEL_FORMATS) },
    async (request) => {
      const version = await resolve(request.params.name, request.query ?? {});
      const format = webModelFormat(version);
      // Nothing to run is an answer, not an error: the page shows the reason beside the server's.
      if (!format || !ctx.store) {
        return {
          model: version.model,
          version: version.version,
          format: null,
          reason: !format
            ? `v${version.version} has no ONNX artifact (export it with the onnx() plugin)`
            : 'this server has no artifact store to read the ONNX file from',
        };
      }
      return {
        model: version.model,
        version: version.version,
        format,
        size: version.artifacts[format]?.size,
        labels: version.metadata.labels,
        preprocessing: version.metadata.preprocessing,
        inputShape: version.metadata.inputShape,
      };
    },
  );

  app.get<{ Params: { name: string; version: number; format: string } }>(
    '/v1/models/:name/versions/:version/artifacts/:format',
    { schema: artifactSchema(WEB_MODEL_FORMATS) },
    async (request, reply) => {
      const { name, version: number, format } = request.params;
      const version = await resolve(name, { version: number });
      const ref = version.artifacts[format];
      if (ref?.kind !== 'file') {
        throw new ServerError(
          'MLOPS_SRV_ERR_ARTIFACT_NOT_FOUND',
          `${name} v${number} has no '${format}' artifact.`,
        );
      }
      const bytes = await requireStore().getBytes(ref);
      // A version's artifacts never change (registration is append-only), so the browser keeps them.
      return reply
        .header('content-type', 'application/octet-stream')
        .header('cache-control', 'private, max-age=31536000, immutable')
        .send(bytes);
    },
  );

  app.get<{ Params: { name: string }; Querystring: { alias?: string; version?: number } }>(
    '/v1/models/:name/samples',
    { schema: samplesSchema },
    async (request) => {
      const version = await resolve(request.params.name, request.query ?? {});
      const { split, samples } = ctx.store
        ? await sampleImages(ctx.store, version)
        : { split: undefined, samples: [] };
      return {
        model: version.model,
        version: version.version,
        split: split ?? null,
        samples: samples.map(({ hash: _hash, ...sample }) => sample),
      };
    },
  );

  app.get<{ Params: { name: string; version: number; index: number } }>(
    '/v1/models/:name/versions/:version/samples/:index',
    { schema: sampleImageSchema },
    async (request, reply) => {
      const { name, version: number, index } = request.params;
      const version = await resolve(name, { version: number });
      const { samples } = await sampleImages(requireStore(), version);
      const sample = samples[index];
      if (!sample) {
        throw new ServerError(
          'MLOPS_SRV_ERR_ARTIFACT_NOT_FOUND',
          `${name} v${number} has no sample image ${index} (${samples.length} available).`,
        );
      }
      const bytes = await requireStore().getBytes(sample.hash);
      return reply
        .header('content-type', sample.mediaType)
        .header('cache-control', 'private, max-age=31536000, immutable')
        .send(bytes);
    },
  );
}
