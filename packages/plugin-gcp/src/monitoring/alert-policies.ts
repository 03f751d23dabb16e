/**
 * Cloud Monitoring v3 alert policies for a deployed service, as the old system had them: the 5xx
 * ratio, the p99 request latency, the instance count (at the `maxInstances` cap, requests queue)
 * and the containers' CPU utilization, each a `conditionThreshold` on Cloud Run's built-in
 * metrics, notifying the channels the user names. Policies carry user labels
 * (`managed_by=mlops`, `mlops_service`, `mlops_alert`), so a later deploy updates the same four
 * (`alertPolicies.patch` with an `updateMask` that leaves `enabled` alone: a policy muted in the
 * console stays muted) instead of adding four more, and `mlops monitor status` finds them.
 */
import { MlopsError } from '@mlops/core';
import type { ApiRequest } from '../deploy/cloud-run-service.js';
import { alertPolicyUrl, cloudRunLogsUrl } from '../google-api/console-links.js';
import type { GoogleApiClient } from '../google-api/google-api-client.js';

/** Thresholds of the four policies; every field has a default. */
export interface AlertThresholds {
  /** Share of responses that are 5xx, 0-1. Default 0.05. */
  errorRatio?: number;
  /** p99 request latency, ms. Default 2000. */
  latencyP99Ms?: number;
  /** Instances at which to alert. Default the service's `maxInstances` (the cap). */
  instances?: number;
  /** p99 container CPU utilization, 0-1. Default 0.8. */
  cpu?: number;
  /** How long a condition must hold, seconds. Default 300. */
  durationSeconds?: number;
}

/** The kinds of policy. */
export const ALERT_KINDS = ['error_ratio', 'latency_p99', 'instance_count', 'cpu'] as const;

/** A v3 `Aggregation`. */
interface Aggregation {
  alignmentPeriod: string;
  perSeriesAligner: string;
  crossSeriesReducer: string;
  groupByFields: string[];
}

/** The v3 `AlertPolicy` fields mlops writes. */
export interface AlertPolicy {
  name?: string;
  displayName: string;
  documentation: { content: string; mimeType: 'text/markdown'; subject: string };
  userLabels: Record<string, string>;
  conditions: {
    displayName: string;
    conditionThreshold: {
      filter: string;
      aggregations: Aggregation[];
      denominatorFilter?: string;
      denominatorAggregations?: Aggregation[];
      comparison: 'COMPARISON_GT' | 'COMPARISON_GE';
      thresholdValue: number;
      duration: string;
      trigger: { count: number };
    };
  }[];
  combiner: 'OR';
  enabled?: boolean;
  notificationChannels: string[];
  severity: 'ERROR' | 'WARNING';
  alertStrategy: { autoClose: string };
}

type Threshold = AlertPolicy['conditions'][number]['conditionThreshold'];

/** What the policies are for. */
export interface AlertTarget {
  /** Project id. */
  project: string;
  /** Region of the service. */
  region: string;
  /** Cloud Run service name. */
  service: string;
  /** The service's `maxInstances`, the default instance threshold. */
  maxInstances: number;
  /** Notification channels: ids or `projects/<p>/notificationChannels/<id>`. */
  channels: string[];
  /** Thresholds. */
  thresholds?: AlertThresholds;
}

/** A policy as `mlops monitor status` shows it. */
export interface AlertPolicyStatus {
  /** `mlops_alert` label: which of the four. */
  kind: string;
  /** Resource name. */
  name: string;
  /** Display name. */
  displayName: string;
  /** Whether it is enabled. */
  enabled: boolean;
  /** Its conditions, in words: `metric comparison threshold for duration`. */
  conditions: string[];
  /** Channels notified. */
  channels: string[];
  /** Console page. */
  url: string;
}

/** `projects/<p>/notificationChannels/<id>` from an id or a full name. */
export function notificationChannelName(project: string, channel: string): string {
  if (/^projects\/[^/]+\/notificationChannels\/[^/]+$/.test(channel)) return channel;
  if (/^[A-Za-z0-9_-]+$/.test(channel)) return `projects/${project}/notificationChannels/${channel}`;
  throw new MlopsError('MLOPS_ERR_USAGE', `"${channel}" is not a notification channel`, {
    hint: 'Pass its id or projects/<project>/notificationChannels/<id> (list them: gcloud beta monitoring channels list).',
  });
}

/** The four policies; see the module comment. */
export function buildAlertPolicies(target: AlertTarget): AlertPolicy[] {
  const t = target.thresholds ?? {};
  const duration = `${t.durationSeconds ?? 300}s`;
  const base = `resource.type = "cloud_run_revision" AND resource.labels.service_name = "${target.service}" AND resource.labels.location = "${target.region}"`;
  const metric = (type: string, extra = '') =>
    `${base} AND metric.type = "run.googleapis.com/${type}"${extra}`;
  const aggregation = (aligner: string, reducer: string): Aggregation[] => [
    {
      alignmentPeriod: '60s',
      perSeriesAligner: aligner,
      crossSeriesReducer: reducer,
      groupByFields: ['resource.label.service_name'],
    },
  ];
  const channels = target.channels.map((c) => notificationChannelName(target.project, c));
  const logs = cloudRunLogsUrl(target.project, target.region, target.service);
  const errorRatio = t.errorRatio ?? 0.05;
  const latency = t.latencyP99Ms ?? 2000;
  const instances = t.instances ?? target.maxInstances;
  const cpu = t.cpu ?? 0.8;
  const policy = (
    kind: (typeof ALERT_KINDS)[number],
    summary: string,
    severity: AlertPolicy['severity'],
    advice: string,
    condition: Omit<Threshold, 'duration' | 'trigger'>,
  ): AlertPolicy => ({
    displayName: `mlops ${target.service}: ${summary}`,
    documentation: {
      subject: `[mlops] ${target.service}: ${summary}`,
      mimeType: 'text/markdown',
      content: [
        `Cloud Run service \`${target.service}\` (${target.region}), deployed by \`mlops deploy\`: ${summary} for ${duration}.`,
        '',
        advice,
        '',
        `Logs: ${logs}`,
      ].join('\n'),
    },
    userLabels: { managed_by: 'mlops', mlops_service: target.service, mlops_alert: kind },
    conditions: [
      { displayName: summary, conditionThreshold: { ...condition, duration, trigger: { count: 1 } } },
    ],
    combiner: 'OR',
    enabled: true,
    notificationChannels: channels,
    severity,
    alertStrategy: { autoClose: '1800s' },
  });
  return [
    policy(
      'error_ratio',
      `5xx ratio > ${percent(errorRatio)}`,
      'ERROR',
      'Requests fail on the server: read the logs for the stack trace; `mlops serve` answers 503 while no model is loaded under the alias.',
      {
        filter: metric('request_count', ' AND metric.labels.response_code_class = "5xx"'),
        aggregations: aggregation('ALIGN_RATE', 'REDUCE_SUM'),
        denominatorFilter: metric('request_count'),
        denominatorAggregations: aggregation('ALIGN_RATE', 'REDUCE_SUM'),
        comparison: 'COMPARISON_GT',
        thresholdValue: errorRatio,
      },
    ),
    policy(
      'latency_p99',
      `p99 latency > ${latency} ms`,
      'WARNING',
      'Requests are slow: raise `cpu`, lower `concurrency`, or raise `minInstances` to avoid cold starts (gcp({ deploy })).',
      {
        filter: metric('request_latencies'),
        aggregations: aggregation('ALIGN_PERCENTILE_99', 'REDUCE_MAX'),
        comparison: 'COMPARISON_GT',
        thresholdValue: latency,
      },
    ),
    policy(
      'instance_count',
      `instances >= ${instances}`,
      'WARNING',
      `The service runs at ${instances} instances${instances === target.maxInstances ? ' (its maxInstances): requests queue and may time out' : ''}; raise maxInstances (gcp({ deploy: { maxInstances } })) if the load is real.`,
      {
        filter: metric('container/instance_count'),
        aggregations: aggregation('ALIGN_MAX', 'REDUCE_SUM'),
        comparison: 'COMPARISON_GE',
        thresholdValue: instances,
      },
    ),
    policy(
      'cpu',
      `p99 CPU > ${percent(cpu)}`,
      'WARNING',
      'Containers are CPU-bound: raise `cpu` or lower `concurrency` (gcp({ deploy })).',
      {
        filter: metric('container/cpu/utilizations'),
        aggregations: aggregation('ALIGN_PERCENTILE_99', 'REDUCE_MAX'),
        comparison: 'COMPARISON_GT',
        thresholdValue: cpu,
      },
    ),
  ];
}

/** The create requests, as `--dry-run` prints them. */
export function alertPolicyRequests(
  project: string,
  policies: readonly AlertPolicy[],
  baseUrl: string,
): ApiRequest<AlertPolicy>[] {
  return policies.map((body) => ({
    method: 'POST',
    url: `${baseUrl}/projects/${project}/alertPolicies`,
    body,
  }));
}

/** The update mask of a policy that exists: everything mlops sets, except `enabled`. */
const UPDATE_MASK =
  'displayName,documentation,userLabels,conditions,combiner,notificationChannels,severity,alertStrategy';

/** Creates the policies that are missing and updates the others; checks the channels first. */
export async function ensureAlertPolicies(
  client: GoogleApiClient,
  project: string,
  service: string,
  policies: readonly AlertPolicy[],
  baseUrl: string,
): Promise<{ name: string; displayName: string; action: 'created' | 'updated' }[]> {
  const role = 'roles/monitoring.alertPolicyEditor';
  for (const channel of new Set(policies.flatMap((p) => p.notificationChannels))) {
    const found = await client.request<{ name?: string }>(
      'GET',
      `${baseUrl}/${channel}`,
      undefined,
      `look up the notification channel ${channel}`,
      { allowNotFound: true, role: 'roles/monitoring.viewer' },
    );
    if (!found) {
      throw new MlopsError('MLOPS_ERR_USAGE', `the notification channel ${channel} does not exist`, {
        hint: 'List the project’s channels with `gcloud beta monitoring channels list` and pass one with --alerts <id>.',
      });
    }
  }
  const existing = await fetchPolicies(client, project, service, baseUrl);
  const out: { name: string; displayName: string; action: 'created' | 'updated' }[] = [];
  for (const policy of policies) {
    const kind = policy.userLabels.mlops_alert;
    const current = existing.find((p) => p.userLabels?.mlops_alert === kind);
    if (current?.name) {
      const { enabled: _enabled, ...rest } = policy;
      const body: AlertPolicy = {
        ...rest,
        name: current.name,
        userLabels: { ...(current.userLabels ?? {}), ...policy.userLabels },
        notificationChannels: [
          ...new Set([...(current.notificationChannels ?? []), ...policy.notificationChannels]),
        ],
      };
      const updated = (await client.request<AlertPolicy>(
        'PATCH',
        `${baseUrl}/${current.name}?updateMask=${UPDATE_MASK}`,
        body,
        `update the alert policy ${current.name}`,
        { role },
      )) as AlertPolicy;
      out.push({ name: updated.name ?? current.name, displayName: policy.displayName, action: 'updated' });
    } else {
      const created = (await client.request<AlertPolicy>(
        'POST',
        `${baseUrl}/projects/${project}/alertPolicies`,
        policy,
        `create the alert policy "${policy.displayName}"`,
        { role },
      )) as AlertPolicy;
      out.push({ name: created.name ?? '', displayName: policy.displayName, action: 'created' });
    }
  }
  return out;
}

/** The service's mlops policies, for `mlops monitor status`. */
export async function listAlertPolicies(
  client: GoogleApiClient,
  project: string,
  service: string,
  baseUrl: string,
): Promise<AlertPolicyStatus[]> {
  const policies = await fetchPolicies(client, project, service, baseUrl);
  return policies
    .map((p) => ({
      kind: p.userLabels?.mlops_alert ?? '',
      name: p.name ?? '',
      displayName: p.displayName ?? '',
      enabled: p.enabled !== false,
      conditions: (p.conditions ?? []).map(describeCondition),
      channels: p.notificationChannels ?? [],
      url: alertPolicyUrl(p.name ?? '', project),
    }))
    .sort((a, b) => kindOrder(a.kind) - kindOrder(b.kind));
}

/** A policy as the API returns it. */
type ListedPolicy = Partial<AlertPolicy> & {
  conditions?: { displayName?: string; conditionThreshold?: Partial<Threshold> }[];
};

async function fetchPolicies(
  client: GoogleApiClient,
  project: string,
  service: string,
  baseUrl: string,
): Promise<ListedPolicy[]> {
  const filter = `user_labels.mlops_service = "${service}"`;
  const policies: ListedPolicy[] = [];
  let pageToken: string | undefined;
  do {
    const page = (await client.request<{ alertPolicies?: ListedPolicy[]; nextPageToken?: string }>(
      'GET',
      `${baseUrl}/projects/${project}/alertPolicies?filter=${encodeURIComponent(filter)}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
      undefined,
      `list the alert policies of ${service}`,
      { role: 'roles/monitoring.viewer' },
    )) as { alertPolicies?: ListedPolicy[]; nextPageToken?: string };
    policies.push(...(page.alertPolicies ?? []).filter((p) => p.userLabels?.managed_by === 'mlops'));
    pageToken = page.nextPageToken || undefined;
  } while (pageToken);
  return policies;
}

function describeCondition(condition: NonNullable<ListedPolicy['conditions']>[number]): string {
  const c = condition.conditionThreshold;
  if (!c) return condition.displayName ?? '(not a threshold condition)';
  const metricType = /metric\.type = "([^"]+)"/.exec(c.filter ?? '')?.[1] ?? 'metric';
  const op =
    c.comparison === 'COMPARISON_GE' ? '>=' : c.comparison === 'COMPARISON_GT' ? '>' : (c.comparison ?? '?');
  const ratio = c.denominatorFilter ? ' (ratio)' : '';
  return `${metricType}${ratio} ${op} ${c.thresholdValue ?? 0} for ${c.duration ?? '0s'}`;
}

function kindOrder(kind: string): number {
  const index = (ALERT_KINDS as readonly string[]).indexOf(kind);
  return index === -1 ? ALERT_KINDS.length : index;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}
