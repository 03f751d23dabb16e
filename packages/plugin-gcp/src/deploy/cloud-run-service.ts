/**
 * The Cloud Run Admin API v2 request that deploys the inference server:
 * `PATCH https://run.googleapis.com/v2/projects/{p}/locations/{r}/services/{s}?allowMissing=true`
 * with a `Service` body (one request creates the service or rolls out a new revision). Field names
 * follow the v2 REST reference: Service.template (RevisionTemplate) → scaling, containers[] (image,
 * args, ports, env, resources.limits, probes), maxInstanceRequestConcurrency; Service.traffic.
 */
import { MlopsError } from '@mlops/core';

/** What to deploy; everything but `project`, `region`, `image` and `model` has a default. */
export interface CloudRunDeployOptions {
  /** Google Cloud project id. */
  project: string;
  /** Region, e.g. `europe-west1`. */
  region: string;
  /** Service name. Default: the model name, made DNS-safe. */
  service?: string;
  /** Container image built from the written Dockerfile, e.g. `europe-docker.pkg.dev/p/repo/server:1`. */
  image: string;
  /** Registry model to serve. */
  model: string;
  /**
   * Alias the deployment is for (default `production`): passed as `mlops serve --alias`, so the
   * startup probe (`/readyz`) waits for it and `/v1` predicts without `?alias=` use it; also in the
   * service's labels. The server still answers `?alias=` for any other alias and hot-swaps when one
   * moves.
   */
  alias?: string;
  /** The bucket store, `gs://bucket/prefix` (passed as `--set store.remote=...`). */
  remote: string;
  /** CPU limit, e.g. `1` or `2`. Default `1`. */
  cpu?: string;
  /** Memory limit, e.g. `1Gi`. Default `1Gi`. */
  memory?: string;
  /** Minimum instances (0 scales to zero). Default 0. */
  minInstances?: number;
  /** Maximum instances. Default 3. */
  maxInstances?: number;
  /** Concurrent requests per instance. Default 16. */
  concurrency?: number;
  /** The config file inside the image. Default `mlops.config.ts`. */
  configFile?: string;
  /** Container port. Default 8080. */
  port?: number;
  /** Service account the revision runs as (needs read access to the bucket). */
  serviceAccount?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Who may call it: `all` (public ingress) or `internal`. Default `all`. */
  ingress?: 'all' | 'internal';
}

/** An HTTP request as the deploy sends it and `--dry-run` prints it. */
export interface ApiRequest<T> {
  /** HTTP method. */
  method: 'PATCH' | 'POST' | 'GET';
  /** Full URL, query included. */
  url: string;
  /** JSON body. */
  body: T;
}

/** The subset of the v2 `Service` resource mlops writes. */
export interface CloudRunService {
  name: string;
  labels: Record<string, string>;
  ingress: 'INGRESS_TRAFFIC_ALL' | 'INGRESS_TRAFFIC_INTERNAL_ONLY';
  template: {
    labels: Record<string, string>;
    serviceAccount?: string;
    scaling: { minInstanceCount: number; maxInstanceCount: number };
    maxInstanceRequestConcurrency: number;
    timeout: string;
    containers: {
      name: string;
      image: string;
      command: string[];
      args: string[];
      ports: { name: string; containerPort: number }[];
      env: { name: string; value: string }[];
      resources: { limits: { cpu: string; memory: string }; cpuIdle: boolean; startupCpuBoost: boolean };
      startupProbe: {
        httpGet: { path: string; port: number };
        initialDelaySeconds: number;
        periodSeconds: number;
        timeoutSeconds: number;
        failureThreshold: number;
      };
      livenessProbe: {
        httpGet: { path: string; port: number };
        periodSeconds: number;
        timeoutSeconds: number;
      };
    }[];
  };
  traffic: { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST'; percent: number }[];
}

/** Base URL of the Cloud Run Admin API. */
export const CLOUD_RUN_API = 'https://run.googleapis.com/v2';

/** The request that creates or updates the service; see the module comment. */
export function buildCloudRunRequest(
  options: CloudRunDeployOptions,
  baseUrl = CLOUD_RUN_API,
): ApiRequest<CloudRunService> {
  const service = options.service ?? dnsLabel(options.model);
  assertDnsLabel(service);
  const alias = options.alias ?? 'production';
  const port = options.port ?? 8080;
  const name = `projects/${options.project}/locations/${options.region}/services/${service}`;
  const labels = {
    'managed-by': 'mlops',
    'mlops-model': labelValue(options.model),
    'mlops-alias': labelValue(alias),
  };
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    MLOPS_GCP_STORE: 'bucket',
    MLOPS_GCP_REGISTRY: 'bucket',
    ...(options.env ?? {}),
  };
  const body: CloudRunService = {
    name,
    labels,
    ingress: options.ingress === 'internal' ? 'INGRESS_TRAFFIC_INTERNAL_ONLY' : 'INGRESS_TRAFFIC_ALL',
    template: {
      labels,
      ...(options.serviceAccount ? { serviceAccount: options.serviceAccount } : {}),
      scaling: { minInstanceCount: options.minInstances ?? 0, maxInstanceCount: options.maxInstances ?? 3 },
      maxInstanceRequestConcurrency: options.concurrency ?? 16,
      timeout: '60s',
      containers: [
        {
          name: 'server',
          image: options.image,
          // Stated in full (they override the image's CMD) so the request shows exactly what runs.
          command: ['node', 'node_modules/@mlops/core/bin/mlops.js'],
          args: [
            '--config',
            options.configFile ?? 'mlops.config.ts',
            '--set',
            `store.remote=${options.remote}`,
            'serve',
            '--host',
            '0.0.0.0',
            '--port',
            String(port),
            '--model',
            options.model,
            '--alias',
            alias,
          ],
          ports: [{ name: 'http1', containerPort: port }],
          env: Object.entries(env).map(([key, value]) => ({ name: key, value })),
          resources: {
            limits: { cpu: options.cpu ?? '1', memory: options.memory ?? '1Gi' },
            cpuIdle: true,
            startupCpuBoost: true,
          },
          startupProbe: {
            httpGet: { path: '/readyz', port },
            initialDelaySeconds: 0,
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 24,
          },
          livenessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 30, timeoutSeconds: 3 },
        },
      ],
    },
    traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
  };
  return { method: 'PATCH', url: `${baseUrl}/${name}?allowMissing=true`, body };
}

/** A Cloud Run service name from a model name: lowercase letters, digits and dashes. */
function dnsLabel(value: string): string {
  return (
    value
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^[^a-z]+/, '')
      .replace(/-+$/, '')
      .slice(0, 49) || 'mlops-server'
  );
}

function assertDnsLabel(service: string): void {
  if (!/^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/.test(service)) {
    throw new MlopsError('MLOPS_ERR_USAGE', `"${service}" is not a valid Cloud Run service name`, {
      hint: 'Use 1-49 lowercase letters, digits and dashes, starting with a letter (--service or deploy.service).',
    });
  }
}

/** Label values: lowercase letters, digits, `_` and `-`, at most 63 characters. */
function labelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .slice(0, 63);
}
