/**
 * @mlops/plugin-gcp — not implemented yet (issue #5). The package exists so the monorepo layout and
 * release configuration are in place; it exports only its planned scope.
 *
 * @packageDocumentation
 */

/** What this package will provide, for tooling that lists the workspace. */
export const PLANNED_SCOPE =
  'mlops Google Cloud: GCS artifact store and data remote, Cloud Run deploy, Vertex AI jobs.';
