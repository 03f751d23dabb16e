/**
 * @mlops/server — not implemented yet (issue #4). The package exists so the monorepo layout and
 * release configuration are in place; it exports only its planned scope.
 *
 * @packageDocumentation
 */

/** What this package will provide, for tooling that lists the workspace. */
export const PLANNED_SCOPE =
  'mlops Fastify inference server with registry hot swap, metrics and drift monitoring.';
