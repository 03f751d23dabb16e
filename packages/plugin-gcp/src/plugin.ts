/**
 * The `gcp()` plugin: puts the artifact store and/or the registry in a bucket when asked, and adds
 * `mlops data push|pull`, `mlops deploy --target cloud-run`, `mlops monitor status`, `mlops vertex
 * train` and the `vertex` remote target (`mlops train --remote vertex`). Inside a Vertex job (env
 * `MLOPS_GCP_JOB`) it also reads the job's package back (config, data versions, code version),
 * restores the job's data and reports the run's outcome.
 */
import { ArtifactStore, type MlopsPlugin, ModelRegistry, RemoteRunner, TrialExecutor } from '@mlops/core';
import { dataSyncCommands } from './commands/data-sync-commands.js';
import { deployCommand } from './commands/deploy-command.js';
import { monitorStatusCommand } from './commands/monitor-command.js';
import { vertexTrainCommand } from './commands/vertex-train-command.js';
import { GcpContext } from './gcp-context.js';
import type { GcpPluginOptions } from './options.js';
import { vertexTrialExecutor } from './sweep/vertex-trial-executor.js';
import { PLUGIN_VERSION } from './version.js';
import { tapJobReporting } from './vertex/job-reporting.js';
import { vertexRemoteRunner } from './vertex/vertex-remote-runner.js';

/** Name the plugin registers under. */
export const GCP_PLUGIN_NAME = '@mlops/plugin-gcp';

/**
 * Google Cloud for mlops: `plugins: [tfjs(), gcp({ registry: 'bucket' })]` with
 * `store: { remote: 'gs://bucket/prefix' }`. See {@link GcpPluginOptions}.
 */
export function gcp(options: GcpPluginOptions = {}): MlopsPlugin {
  return {
    name: GCP_PLUGIN_NAME,
    version: PLUGIN_VERSION,
    apply(api) {
      const context = new GcpContext(options, api.config);
      if (context.storePlacement === 'bucket')
        api.provide(ArtifactStore, context.remoteStore('store: "bucket"'));
      if (context.registryPlacement === 'bucket')
        api.provide(ModelRegistry, context.remoteRegistry('registry: "bucket"'));
      for (const command of dataSyncCommands(context)) api.command(command);
      api.command(deployCommand(context));
      api.command(monitorStatusCommand(context));
      api.command(vertexTrainCommand(context));
      api.provide(RemoteRunner, vertexRemoteRunner(context));
      api.provide(TrialExecutor, vertexTrialExecutor(context, api));
      const jobId = process.env.MLOPS_GCP_JOB;
      if (jobId) {
        tapJobReporting(api, {
          jobId,
          checkout: (process.env.MLOPS_GCP_CHECKOUT ?? '').split(',').filter(Boolean),
          store: context.remoteStore('a Vertex job'),
          storage: context.storage(),
        });
      }
    },
  };
}
