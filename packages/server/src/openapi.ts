import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { type JsonSchema, OPENAPI_BODY } from './routes/schemas.js';

/** Where the docs page is served; the OpenAPI document is at `${DOCS_PREFIX}/json`. */
export const DOCS_PREFIX = '/docs';

/**
 * Registers the OpenAPI 3.1 document (`/docs/json`, `/docs/yaml`) and the Swagger UI page
 * (`/docs`). Call before any route is added: the document is built from the routes' schemas.
 * Swagger UI's assets come from `@fastify/swagger-ui` itself, and its spec validator badge (an
 * external URL) is off, so the page works offline. Responses keep being serialized with
 * `JSON.stringify`: route response schemas document the API and never drop fields.
 */
export function registerOpenApi(app: FastifyInstance, info: { version: string; model: string }): void {
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mlops inference server',
        description: `Serves the registry model "${info.model}": the legacy API of the Python service it replaces, and the versioned /v1 API.`,
        version: info.version,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'legacy', description: 'The old FastAPI contract, unchanged.' },
        { name: 'v1', description: 'Versioned API.' },
        { name: 'probes', description: 'Liveness and readiness.' },
        { name: 'observability', description: 'Metrics and drift.' },
        { name: 'ui', description: 'Web page to try the model.' },
      ],
    },
    transform: ({ schema, url, route }) => {
      const body = (route.config as Record<string, unknown> | undefined)?.[OPENAPI_BODY] as
        | JsonSchema
        | undefined;
      const documented = body ? { ...(schema ?? {}), body } : schema;
      // Routes without a schema (redirects, the UI's assets) stay out of the document.
      return { schema: documented ?? { hide: true }, url };
    },
  });
  void app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { validatorUrl: null, deepLinking: false },
    // Same-origin only (the default CSP would allow https: styles and fonts); Swagger UI sets
    // inline style attributes, hence 'unsafe-inline' for styles (never for scripts).
    staticCSP:
      "default-src 'self'; base-uri 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; " +
      "script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'",
  });
}
