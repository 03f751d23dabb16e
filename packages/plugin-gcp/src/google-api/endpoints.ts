/**
 * Base URLs of the Google REST APIs the plugin calls, each overridable through
 * `gcp({ endpoints })` (private endpoints, the tests' local fakes).
 */

/** Base URLs; every field is optional and defaults to Google's public endpoint. */
export interface GoogleApiEndpoints {
  /** Cloud Run Admin API v2. Default `https://run.googleapis.com/v2`. */
  run?: string;
  /** Vertex AI API v1. Default `https://{region}-aiplatform.googleapis.com/v1`. */
  vertex?: string;
  /** Cloud Build API v1. Default `https://cloudbuild.googleapis.com/v1`. */
  cloudBuild?: string;
  /** Artifact Registry API v1. Default `https://artifactregistry.googleapis.com/v1`. */
  artifactRegistry?: string;
  /** Cloud Monitoring API v3. Default `https://monitoring.googleapis.com/v3`. */
  monitoring?: string;
  /** Secret Manager API v1. Default `https://secretmanager.googleapis.com/v1`. */
  secretManager?: string;
}

/** Google's public base URLs (Vertex AI's is regional: {@link vertexApiBase}). */
export const GOOGLE_API_BASES = {
  run: 'https://run.googleapis.com/v2',
  cloudBuild: 'https://cloudbuild.googleapis.com/v1',
  artifactRegistry: 'https://artifactregistry.googleapis.com/v1',
  monitoring: 'https://monitoring.googleapis.com/v3',
  secretManager: 'https://secretmanager.googleapis.com/v1',
} as const;

/** Vertex AI's regional endpoint. */
export function vertexApiBase(region: string): string {
  return `https://${region}-aiplatform.googleapis.com/v1`;
}

/** The base URL of `api`: the configured one, else Google's. */
export function apiBase(
  endpoints: GoogleApiEndpoints | undefined,
  api: keyof GoogleApiEndpoints,
  region = 'us-central1',
): string {
  const configured = endpoints?.[api];
  if (configured) return configured.replace(/\/+$/, '');
  return api === 'vertex' ? vertexApiBase(region) : GOOGLE_API_BASES[api];
}
