/**
 * The Cloud Run Admin API v2 request that deploys the inference server:
 * `PATCH https://run.googleapis.com/v2/projects/{p}/locations/{r}/services/{s}?allowMissing=true&updateMask=...`
 * with a `Service` body (one request creates the service or rolls out a new revision). The
 * `updateMask` names only the fields mlops owns — labels and annotations (merged with the
 * current ones), ingress, the template's labels, scaling bounds, concurrency, timeout, service
 * account, its containers (mlops's `server` container merged into the current one), and traffic —
 * so VPC access, volumes, custom audiences, sidecars, env vars set elsewhere and the rest survive a
 * deploy. Field names follow the v2 REST reference: Service.template (RevisionTemplate) → scaling,
 * containers[] (image, args, ports, env with `valueSource.secretKeyRef`, resources.limits,
 * probes), maxInstanceRequestConcurrency; Service.traffic.
 */
import { MlopsError } from '@mlops/core';
import type { SecretRef } from './secrets.js';

/** What to deploy; everything but `project`, `region`, `image` and `model` has a default. */
export interface CloudRunDeployOptions {
  /** Google Cloud project id. */
  project: string;
  /** Region, e.g. `europe-west1`. */
  region: string;
  /** Service name. Default: the model name, made DNS-safe. */
  service?: string;
  /** Container image, e.g. `europe-west1-docker.pkg.dev/p/mlops/shoes:ctx-...`. */
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
  /** Service account the revision runs as (needs read access to the bucket and the secrets). */
  serviceAccount?: string;
  /** Extra environment variables (plain values; credentials go in `secrets`). */
  env?: Record<string, string>;
  /** Env vars read from Secret Manager by Cloud Run (`--secret`). */
  secrets?: SecretRef[];
  /** Who may reach it on the network: `all` (public ingress) or `internal`. Default `all`. */
  ingress?: 'all' | 'internal';
  /** Traffic targets; default all traffic to the new revision. */
  traffic?: CloudRunTrafficTarget[];
}

/** An HTTP request as the commands send it and `--dry-run` prints it. */
export interface ApiRequest<T> {
  /** HTTP method. */
  method: 'PATCH' | 'POST' | 'GET';
  /** Full URL, query included. */
  url: string;
  /** JSON body. */
  body: T;
}

/** A v2 `EnvVar`: a plain value or a Secret Manager reference. */
export type CloudRunEnvVar =
  | { name: string; value: string }
  | { name: string; valueSource: { secretKeyRef: { secret: string; version: string } } };

/** A v2 `TrafficTarget`. */
export interface CloudRunTrafficTarget {
  type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' | 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
  percent: number;
  revision?: string;
  tag?: string;
}

/** The v2 `Container` fields mlops writes (others, set elsewhere, are kept by the merge). */
export interface CloudRunContainer {
  name: string;
  image: string;
  command: string[];
  args: string[];
  ports: { name: string; containerPort: number }[];
  env: CloudRunEnvVar[];
  resources: { limits: Record<string, string>; cpuIdle: boolean; startupCpuBoost: boolean };
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
  [field: string]: unknown;
}

/** The subset of the v2 `Service` resource mlops writes. */
export interface CloudRunService {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ingress: 'INGRESS_TRAFFIC_ALL' | 'INGRESS_TRAFFIC_INTERNAL_ONLY';
  template: {
    labels: Record<string, string>;
    serviceAccount?: string;
    scaling: { minInstanceCount: number; maxInstanceCount: number };
    maxInstanceRequestConcurrency: number;
    timeout: string;
    containers: CloudRunContainer[];
  };
  traffic: CloudRunTrafficTarget[];
}

/** The Service as the API returns it: what the merge and the traffic split read. */
export interface CurrentService {
  name?: string;
  uri?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  latestReadyRevision?: string;
  template?: { labels?: Record<string, string>; containers?: Record<string, unknown>[] };
  traffic?: CloudRunTrafficTarget[];
  trafficStatuses?: { type?: string; revision?: string; percent?: number; tag?: string; uri?: string }[];
  terminalCondition?: { state?: string; message?: string };
}

/** Base URL of the Cloud Run Admin API. */
export const CLOUD_RUN_API = 'https://run.googleapis.com/v2';

/** Annotation listing the env vars mlops set last time (so removing one from the config removes it). */
export const MANAGED_ENV_ANNOTATION = 'mlops.dev/managed-env';

const SERVER_CONTAINER = 'server';

/** The service name a deploy uses: `service`, else the model name made DNS-safe. */
export function cloudRunServiceName(options: { service?: string; model: string }): string {
  const service = options.service ?? dnsLabel(options.model);
  assertDnsLabel(service);
  return service;
}

/** The request that creates or updates the service; see the module comment. */
export function buildCloudRunRequest(
  options: CloudRunDeployOptions,
  baseUrl = CLOUD_RUN_API,
): ApiRequest<CloudRunService> {
  const service = cloudRunServiceName(options);
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
  const secrets = options.secrets ?? [];
  for (const ref of secrets) {
    if (ref.env in env) {
      throw new MlopsError('MLOPS_ERR_USAGE', `${ref.env} is given both as --env and as --secret`, {
        hint: 'Keep one of them.',
      });
    }
  }
  const envVars: CloudRunEnvVar[] = [
    ...Object.entries(env).map(([key, value]) => ({ name: key, value })),
    ...secrets.map((ref) => ({
      name: ref.env,
      valueSource: {
        secretKeyRef: {
          secret:
            ref.project === options.project ? ref.secret : `projects/${ref.project}/secrets/${ref.secret}`,
          version: ref.version,
        },
      },
    })),
  ];
  const body: CloudRunService = {
    name,
    labels,
    annotations: { [MANAGED_ENV_ANNOTATION]: envVars.map((e) => e.name).join(',') },
    ingress: options.ingress === 'internal' ? 'INGRESS_TRAFFIC_INTERNAL_ONLY' : 'INGRESS_TRAFFIC_ALL',
    template: {
      labels,
      ...(options.serviceAccount ? { serviceAccount: options.serviceAccount } : {}),
      scaling: { minInstanceCount: options.minInstances ?? 0, maxInstanceCount: options.maxInstances ?? 3 },
      maxInstanceRequestConcurrency: options.concurrency ?? 16,
      timeout: '60s',
      containers: [
        {
          name: SERVER_CONTAINER,
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
          env: envVars,
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
    traffic: options.traffic ?? [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
  };
  const mask = [
    'labels',
    'annotations',
    'ingress',
    'template.labels',
    ...(options.serviceAccount ? ['template.serviceAccount'] : []),
    'template.scaling.minInstanceCount',
    'template.scaling.maxInstanceCount',
    'template.maxInstanceRequestConcurrency',
    'template.timeout',
    'template.containers',
    'traffic',
  ];
  return {
    method: 'PATCH',
    url: `${baseUrl}/${name}?allowMissing=true&updateMask=${mask.join(',')}`,
    body,
  };
}

/**
 * The body merged with the service as it is: labels and annotations of others kept, mlops's
 * container merged into the current main one (its volume mounts, working dir, extra limits and the
 * env vars that mlops did not set before are kept), other containers (sidecars) kept as they are.
 */
export function mergeWithCurrent(
  body: CloudRunService,
  current: CurrentService | undefined,
): CloudRunService {
  if (!current) return body;
  const ours = body.template.containers[0] as CloudRunContainer;
  const containers = [...(current.template?.containers ?? [])];
  let index = containers.findIndex((c) => c.name === SERVER_CONTAINER);
  if (index === -1 && containers.length === 1) index = 0; // the main container of a service made elsewhere
  const previous = index === -1 ? undefined : containers[index];
  const managedBefore = new Set(
    (current.annotations?.[MANAGED_ENV_ANNOTATION] ?? '').split(',').filter(Boolean),
  );
  const ourNames = new Set(ours.env.map((e) => e.name));
  const keptEnv = ((previous?.env as CloudRunEnvVar[] | undefined) ?? []).filter(
    (e) => !ourNames.has(e.name) && !managedBefore.has(e.name),
  );
  const previousResources = (previous?.resources ?? {}) as { limits?: Record<string, string> };
  const merged: CloudRunContainer = {
    ...(previous ?? {}),
    ...ours,
    env: [...ours.env, ...keptEnv],
    resources: {
      ...ours.resources,
      limits: { ...(previousResources.limits ?? {}), ...ours.resources.limits },
    },
  };
  if (index === -1) containers.unshift(merged);
  else containers[index] = merged;
  return {
    ...body,
    labels: { ...(current.labels ?? {}), ...body.labels },
    annotations: { ...(current.annotations ?? {}), ...body.annotations },
    template: {
      ...body.template,
      labels: { ...(current.template?.labels ?? {}), ...body.template.labels },
      containers: containers as CloudRunContainer[],
    },
  };
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
export function labelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .slice(0, 63);
}
