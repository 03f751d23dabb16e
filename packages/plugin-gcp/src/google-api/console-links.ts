/**
 * Links into the Google Cloud console that the commands print: where a person watches what was
 * started (a build, a job, a service) and reads its logs.
 */

const CONSOLE = 'https://console.cloud.google.com';

/** A Logs Explorer link showing the entries that match `query`. */
export function logsExplorerUrl(project: string, query: string): string {
  return `${CONSOLE}/logs/query;query=${encodeURIComponent(query)}?project=${encodeURIComponent(project)}`;
}

/** The Cloud Run service page. */
export function cloudRunServiceUrl(project: string, region: string, service: string): string {
  return `${CONSOLE}/run/detail/${region}/${service}/metrics?project=${encodeURIComponent(project)}`;
}

/** The service's request and container logs. */
export function cloudRunLogsUrl(project: string, region: string, service: string): string {
  return logsExplorerUrl(
    project,
    `resource.type="cloud_run_revision"\nresource.labels.service_name="${service}"\nresource.labels.location="${region}"`,
  );
}

/** The Vertex AI page of a custom job (`projects/<n>/locations/<r>/customJobs/<id>`). */
export function vertexJobUrl(jobName: string, project: string): string | undefined {
  const parsed = parseJobName(jobName);
  if (!parsed) return undefined;
  return `${CONSOLE}/vertex-ai/locations/${parsed.region}/training/${parsed.id}/cpu?project=${encodeURIComponent(project)}`;
}

/** The logs of a custom job's replicas. */
export function vertexJobLogsUrl(jobName: string, project: string): string | undefined {
  const parsed = parseJobName(jobName);
  if (!parsed) return undefined;
  return logsExplorerUrl(project, `resource.type="ml_job"\nresource.labels.job_id="${parsed.id}"`);
}

/** An alert policy's page (`projects/<p>/alertPolicies/<id>`). */
export function alertPolicyUrl(policyName: string, project: string): string {
  const id = policyName.split('/').at(-1) ?? policyName;
  return `${CONSOLE}/monitoring/alerting/policies/${id}?project=${encodeURIComponent(project)}`;
}

function parseJobName(name: string): { region: string; id: string } | undefined {
  const match = /^projects\/[^/]+\/locations\/([^/]+)\/customJobs\/([^/]+)$/.exec(name);
  return match ? { region: match[1] as string, id: match[2] as string } : undefined;
}
