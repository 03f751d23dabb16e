/**
 * `mlops monitor status`: the alert policies `mlops deploy --alerts` made for the service —
 * enabled or not, their conditions in words, the channels they notify and their console pages —
 * and which of the four are missing.
 */
import type { PluginCommand } from '@mlops/core';
import { cloudRunServiceName } from '../deploy/cloud-run-service.js';
import type { GcpContext } from '../gcp-context.js';
import { cloudRunLogsUrl, cloudRunServiceUrl } from '../google-api/console-links.js';
import { ALERT_KINDS, listAlertPolicies } from '../monitoring/alert-policies.js';
import { stringFlag } from './interrupt.js';

/** The command, bound to the plugin's resources. */
export function monitorStatusCommand(context: GcpContext): PluginCommand {
  return {
    name: 'monitor status',
    description: 'show the Cloud Monitoring alert policies of the deployed service (mlops deploy --alerts)',
    options: [
      ['--service <name>', 'Cloud Run service name (default: the model name)'],
      ['--model <name>', 'registry model the service serves (for the default service name)'],
      ['--project <id>', 'Google Cloud project (default GOOGLE_CLOUD_PROJECT)'],
      ['--region <region>', 'region (default us-central1)'],
    ],
    action: async (_args, flags) => {
      const opt = (key: string) => stringFlag(flags, key);
      const { config } = context;
      const defaults = context.options.deploy ?? {};
      const project = context.requireProject(opt('project'));
      const region = context.region(opt('region'));
      const model = opt('model') ?? defaults.model ?? config.serve.model ?? config.registry.model;
      const explicit = opt('service') ?? defaults.service;
      const service = cloudRunServiceName({ model, ...(explicit ? { service: explicit } : {}) });
      const policies = await listAlertPolicies(
        context.apiClient(),
        project,
        service,
        context.endpoint('monitoring'),
      );
      const missing = ALERT_KINDS.filter((kind) => !policies.some((p) => p.kind === kind));
      const status = {
        service: `projects/${project}/locations/${region}/services/${service}`,
        policies,
        missing,
        links: {
          console: cloudRunServiceUrl(project, region, service),
          logs: cloudRunLogsUrl(project, region, service),
        },
      };
      if (flags.json) return status;
      const lines = [`alert policies of ${service} (${project}, ${region}):`];
      if (policies.length === 0)
        lines.push('  none: create them with mlops deploy --target cloud-run --alerts <channel>');
      for (const p of policies) {
        lines.push(`  ${p.enabled ? 'on ' : 'off'}  ${p.displayName}`);
        for (const c of p.conditions) lines.push(`         ${c}`);
        lines.push(`         notifies ${p.channels.length ? p.channels.join(', ') : 'nobody'}`);
        lines.push(`         ${p.url}`);
      }
      if (policies.length && missing.length)
        lines.push(`  missing: ${missing.join(', ')} (mlops deploy --alerts recreates them)`);
      lines.push(`logs: ${status.links.logs}`);
      return lines.join('\n');
    },
  };
}
