/**
 * The `vertex` remote target: `mlops train --remote vertex [--dry-run] [--remote-option image=...]`
 * runs the same job as `mlops vertex train`, with the stages of the local command. Remote options
 * use the command's flag names (`image`, `rebuild`, `machine-type`, `accelerator`,
 * `accelerator-count`, `data`, `env`, `secret`, `timeout`, `service-account`, `project`, `region`,
 * `job-id`); list values are comma-separated (`env=A=1,B=2`); unset ones come from
 * `gcp({ vertex })`.
 */
import { MlopsError, type RemoteRunner } from '@mlops/core';
import { vertexTrainCommand } from '../commands/vertex-train-command.js';
import type { GcpContext } from '../gcp-context.js';

/** Remote option names the runner accepts, kebab-case as on the command line. */
const REMOTE_OPTIONS = [
  'image',
  'rebuild',
  'machine-type',
  'accelerator',
  'accelerator-count',
  'data',
  'env',
  'secret',
  'timeout',
  'service-account',
  'project',
  'region',
  'job-id',
] as const;

/** `machine-type` → `machineType`, as commander names the command's flags. */
function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The runner, bound to the plugin's resources. */
export function vertexRemoteRunner(context: GcpContext): RemoteRunner {
  const command = vertexTrainCommand(context);
  return {
    target: 'vertex',
    description: 'Vertex AI custom job',
    async submit(request, api) {
      // The command line's --set overrides as given: the job applies them to the same config file.
      const flags: Record<string, unknown> = {
        dryRun: request.dryRun,
        stages: request.stages,
        set: [...request.set],
      };
      if (request.force) flags.force = true;
      for (const [key, value] of Object.entries(request.options)) {
        if (!(REMOTE_OPTIONS as readonly string[]).includes(key)) {
          throw new MlopsError('MLOPS_ERR_USAGE', `unknown --remote-option "${key}" for --remote vertex`, {
            hint: `options: ${REMOTE_OPTIONS.join(', ')}`,
          });
        }
        flags[camelCase(key)] = key === 'rebuild' ? value !== 'false' : value;
      }
      return command.action([], flags, api);
    },
  };
}
