/**
 * JSON schemas of every route, for the OpenAPI document (`/docs/json`) and for Fastify's
 * validation of path and query parameters. Responses are serialized with plain `JSON.stringify`
 * (see `openapi.ts`), so response schemas document and never filter. Request bodies of the
 * predict and promotion routes are documented through {@link openApiBody} only: those handlers
 * read multipart streams, raw image bodies or JSON themselves and answer their own 4xx errors.
 */

/** A JSON schema (the subset used here). */
export type JsonSchema = Record<string, unknown>;

/** Route `config` key whose value the OpenAPI transform adds as the documented request body. */
export const OPENAPI_BODY = 'openapiBody' as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Request body documented in the OpenAPI document but not validated by Fastify. */
    openapiBody?: Record<string, unknown>;
  }
}

/** The route `config` that documents `body` without Fastify validating it. */
export function openApiBody(body: JsonSchema): { openapiBody: JsonSchema } {
  return { openapiBody: body };
}

/** Every error: `{ message, "status-code", code }`. */
export const errorSchema: JsonSchema = {
  type: 'object',
  description: 'Error (never a stack trace).',
  required: ['message', 'status-code', 'code'],
  properties: {
    message: { type: 'string' },
    'status-code': { type: 'integer' },
    code: { type: 'string', description: 'Stable machine-readable code, e.g. MLOPS_SRV_ERR_BAD_IMAGE.' },
  },
};

const okProperties = {
  message: { type: 'string', const: 'OK' },
  'status-code': { type: 'integer', const: 200 },
};

const errors = (...statuses: number[]): Record<string, JsonSchema> =>
  Object.fromEntries(statuses.map((status) => [status, errorSchema]));

const imageBinary: JsonSchema = { type: 'string', format: 'binary' };

/** `GET /`. */
export const rootSchema: JsonSchema = {
  tags: ['legacy'],
  summary: 'Health check (legacy API)',
  response: { 200: { type: 'object', properties: okProperties } },
};

/** `GET /about/`. */
export const aboutSchema: JsonSchema = {
  tags: ['legacy'],
  summary: 'Served model name and repository (legacy API)',
  response: {
    200: {
      type: 'object',
      properties: { ...okProperties, model_name: { type: 'string' }, repository_url: { type: 'string' } },
    },
  },
};

/** `POST /api/predict/…` (one schema per alias: the summary names it). */
export function legacyPredictSchema(what: string): JsonSchema {
  return {
    tags: ['legacy'],
    summary: `Classify one image with ${what} (legacy API)`,
    description:
      'Top 5 (or fewer) classes as percentages 0–100. Accepted types: image/jpeg, image/png, image/svg+xml, image/webp.',
    response: {
      200: {
        type: 'object',
        properties: {
          ...okProperties,
          probabilities: { type: 'object', additionalProperties: { type: 'number' } },
        },
      },
      ...errors(400, 404, 413, 422, 501, 503),
    },
  };
}

/** Documented body of the legacy predict routes. */
export const legacyPredictBody: JsonSchema = {
  content: {
    'multipart/form-data': {
      schema: { type: 'object', required: ['image_file'], properties: { image_file: imageBinary } },
    },
  },
};

/** `GET /healthz`. */
export const healthSchema: JsonSchema = {
  tags: ['probes'],
  summary: 'Liveness: 200 while the process runs',
  response: { 200: { type: 'object', properties: { status: { type: 'string', const: 'ok' } } } },
};

/** `GET /readyz`. */
export const readySchema: JsonSchema = {
  tags: ['probes'],
  summary: "Readiness: 200 once the server's alias (default production) is loaded, 503 before",
  response: {
    200: {
      type: 'object',
      properties: {
        status: { type: 'string', const: 'ready' },
        model: { type: 'string' },
        alias: { type: 'string' },
        version: { type: 'integer' },
      },
    },
    ...errors(503),
  },
};

/** `GET /metrics`. */
export const metricsSchema: JsonSchema = {
  tags: ['observability'],
  summary: 'Prometheus metrics (text exposition format)',
  produces: ['text/plain'],
  response: { 200: { type: 'string' } },
};

const nameParams: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', description: 'Registered model name.' } },
};

const versionProperties = {
  version: { type: 'integer' },
  aliases: { type: 'array', items: { type: 'string' } },
  metrics: { type: 'object', additionalProperties: { type: 'number' } },
  createdAt: { type: 'string', format: 'date-time' },
  metadata: { type: 'object', additionalProperties: true },
};

/** `GET /v1/models`. */
export const listModelsSchema: JsonSchema = {
  tags: ['v1'],
  summary: 'Registered models',
  response: {
    200: {
      type: 'object',
      properties: {
        models: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              versions: { type: 'integer' },
              latest: { type: 'integer' },
              aliases: { type: 'object', additionalProperties: { type: 'integer' } },
              updatedAt: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
  },
};

/** `GET /v1/models/:name`. */
export const getModelSchema: JsonSchema = {
  tags: ['v1'],
  summary: 'One model: its aliases and versions',
  params: nameParams,
  response: {
    200: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        aliases: { type: 'object', additionalProperties: { type: 'integer' } },
        versions: { type: 'array', items: { type: 'object', properties: versionProperties } },
      },
    },
    ...errors(404),
  },
};

/** `GET /v1/models/:name/drift`. */
export const driftSchema: JsonSchema = {
  tags: ['v1', 'observability'],
  summary: 'Drift (PSI) of live inputs and predictions against the training reference',
  params: nameParams,
  querystring: {
    type: 'object',
    properties: { alias: { type: 'string', description: 'Alias (default production).' } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        model: { type: 'string' },
        version: { type: 'integer' },
        samples: { type: 'integer' },
        window: { type: 'integer' },
        status: { type: 'string', enum: ['ok', 'insufficient-data', 'disabled'] },
        scores: {
          type: 'object',
          properties: {
            inputPsi: { type: ['number', 'null'] },
            predictionPsi: { type: ['number', 'null'] },
            confidenceDelta: { type: ['number', 'null'] },
          },
        },
        reference: {
          type: ['object', 'null'],
          properties: { images: { type: 'integer' } },
        },
      },
    },
    ...errors(404),
  },
};

/** `POST /v1/models/:name/predict`. */
export const v1PredictSchema: JsonSchema = {
  tags: ['v1'],
  summary: 'Classify one or more images',
  description:
    'Body: multipart files (image_file / images / image), a raw image body (Content-Type: image/*), ' +
    'or JSON {"images": [base64, ...]} / {"image": base64}. Selects ?alias= (default production) or ?version=.',
  params: nameParams,
  querystring: {
    type: 'object',
    properties: {
      alias: { type: 'string', description: 'Alias to serve (default production).' },
      version: { type: 'integer', minimum: 1, description: 'Version number (instead of alias).' },
      topk: { type: 'integer', minimum: 1, maximum: 1000, description: 'Classes per image (default 5).' },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        model: { type: 'string' },
        version: { type: 'integer' },
        runtime: { type: 'string', description: 'The runtime that answered: onnx, onnx-int8 or tfjs.' },
        predictions: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              top: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { label: { type: 'string' }, probability: { type: 'number' } },
                },
              },
            },
          },
        },
      },
    },
    ...errors(400, 404, 413, 415, 422, 501, 503),
  },
};

/** Documented body of `POST /v1/models/:name/predict`. */
export const v1PredictBody: JsonSchema = {
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: { images: { type: 'array', items: imageBinary }, image_file: imageBinary },
      },
    },
    'image/*': { schema: imageBinary },
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          images: { type: 'array', items: { type: 'string', description: 'base64 or data: URL' } },
          image: { type: 'string', description: 'base64 or data: URL' },
        },
      },
    },
  },
};

/** `POST /v1/models/:name/aliases/:alias`. */
export const promoteSchema: JsonSchema = {
  tags: ['v1'],
  summary: 'Point an alias at a version (bearer token); the server swaps to it without a restart',
  security: [{ bearer: [] }],
  params: {
    type: 'object',
    required: ['name', 'alias'],
    properties: { name: { type: 'string' }, alias: { type: 'string' } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        alias: { type: 'string' },
        model: { type: 'string' },
        from: { type: ['integer', 'null'] },
        to: { type: ['integer', 'null'] },
        at: { type: 'string', format: 'date-time' },
      },
    },
    ...errors(400, 401, 404, 409),
  },
};

/** Documented body of the promotion route. */
export const promoteBody: JsonSchema = {
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['version'],
        properties: {
          version: { type: 'integer', minimum: 1 },
          force: { type: 'boolean', description: 'Skip the evaluation gate.' },
          reason: { type: 'string' },
        },
      },
    },
  },
};

const selectorQuery: JsonSchema = {
  type: 'object',
  properties: {
    alias: { type: 'string', description: 'Alias (default the server alias, `production`).' },
    version: { type: 'integer', minimum: 1, description: 'Version number (instead of an alias).' },
  },
};

const versionParams = (extra: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  required: ['name', 'version', ...Object.keys(extra)],
  properties: {
    name: { type: 'string', description: 'Registered model name.' },
    version: { type: 'integer', minimum: 1, description: 'Version number.' },
    ...extra,
  },
});

/** `GET /v1/models/:name/web-model`. */
export function webModelSchema(formats: readonly string[]): JsonSchema {
  return {
    tags: ['v1', 'ui'],
    summary: 'The ONNX artifact of a version, to run in the browser',
    description:
      'Which ONNX artifact of the version behind `?alias=` or `?version=` the web page runs with onnxruntime-web, with the labels and the input preprocessing it needs.',
    params: nameParams,
    querystring: selectorQuery,
    response: {
      200: {
        type: 'object',
        properties: {
          model: { type: 'string' },
          version: { type: 'integer' },
          format: {
            type: ['string', 'null'],
            enum: [...formats, null],
            description: 'The artifact to run; null when the version has none (then `reason` says why).',
          },
          reason: { type: 'string' },
          size: { type: 'integer', description: 'Bytes.' },
          labels: { type: 'array', items: { type: 'string' } },
          preprocessing: { type: 'object', additionalProperties: true },
          inputShape: { type: 'array', items: { type: 'integer' } },
        },
      },
      ...errors(400, 404),
    },
  };
}

/** `GET /v1/models/:name/versions/:version/artifacts/:format`. */
export function artifactSchema(formats: readonly string[]): JsonSchema {
  return {
    tags: ['v1', 'ui'],
    summary: 'An ONNX artifact of a version (the file)',
    params: versionParams({ format: { type: 'string', enum: [...formats] } }),
    response: { 200: { ...imageBinary, description: 'The ONNX file.' }, ...errors(400, 404) },
  };
}

/** `GET /v1/models/:name/samples`. */
export const samplesSchema: JsonSchema = {
  tags: ['v1', 'ui'],
  summary: "A few images of a version's evaluation split",
  description:
    'Up to 8 images of the split the version was evaluated on (one per class first), read from the dataset in the store; an empty list when the dataset is not there.',
  params: nameParams,
  querystring: selectorQuery,
  response: {
    200: {
      type: 'object',
      properties: {
        model: { type: 'string' },
        version: { type: 'integer' },
        split: { type: ['string', 'null'] },
        samples: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              index: { type: 'integer' },
              label: { type: 'string' },
              path: { type: 'string' },
              mediaType: { type: 'string' },
            },
          },
        },
      },
    },
    ...errors(400, 404),
  },
};

/** `GET /v1/models/:name/versions/:version/samples/:index`. */
export const sampleImageSchema: JsonSchema = {
  tags: ['v1', 'ui'],
  summary: 'One sample image (the file)',
  params: versionParams({ index: { type: 'integer', minimum: 0 } }),
  response: { 200: { ...imageBinary, description: 'The image.' }, ...errors(400, 404) },
};
