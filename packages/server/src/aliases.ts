/**
 * The registry aliases the server knows by name. `production` is what the old system's
 * `/api/predict/` served, and the default everywhere an alias is not given (`createServer`'s
 * `alias`, `/v1 … ?alias=`, `/readyz`).
 */
export const PRODUCTION_ALIAS = 'production';

/** Alias served by the legacy `POST /api/predict/preproduction/`. */
export const PREPRODUCTION_ALIAS = 'preproduction';
