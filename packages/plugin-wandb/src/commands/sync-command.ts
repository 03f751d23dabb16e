import { join } from 'node:path';
import { ArtifactStore, LocalModelRegistry, MlopsError, type PluginCommand } from '@mlops/core';
import { connectWandb, missingKeyError } from '../connect.js';
import { WandbModelRegistry } from '../registry/wandb-model-registry.js';
import type { WandbPluginOptions, WandbSettings } from '../settings.js';
import { listSpooledRuns, RunSpool } from '../spool/run-spool.js';
import { type RegistrySyncReport, syncRegistryIntents } from '../sync/registry-sync.js';
import { type UploadReport, uploadSpooledRun } from '../sync/run-uploader.js';

/** What `mlops wandb sync` prints. */
export interface SyncCommandResult {
  /** One report per run synced. */
  runs: UploadReport[];
  /** The registry replay (offline registry mode), when there was anything to replay. */
  registry?: RegistrySyncReport;
}

/**
 * `mlops wandb sync [runId]`: uploads spooled runs (all, or one) and replays offline registry
 * changes. Safe to repeat and to interrupt: only what W&B has not acknowledged is sent.
 */
export function syncCommand(settings: WandbSettings, options: WandbPluginOptions): PluginCommand {
  return {
    name: 'wandb sync [runId]',
    description: 'upload W&B runs and registry changes spooled offline (idempotent)',
    async action(args, _options, api): Promise<SyncCommandResult> {
      const client = await connectWandb(settings, options);
      if (!client) throw missingKeyError(settings.baseUrl);
      const root = join(settings.stateDir, 'spool');
      const [only] = args;
      const ids = only ? [only] : await listSpooledRuns(root);
      if (only && !(await new RunSpool(root, only).readRun())) {
        const known = await listSpooledRuns(root);
        throw new MlopsError('MLOPS_ERR_RUN_NOT_FOUND', `no spooled W&B run "${only}" in ${root}`, {
          hint: known.length
            ? `spooled runs: ${known.join(', ')}`
            : 'nothing is spooled: every run was uploaded',
        });
      }
      const result: SyncCommandResult = { runs: [] };
      for (const id of ids) {
        const report = await uploadSpooledRun(client, new RunSpool(root, id));
        api.logger.info(
          `W&B run ${id}: ${report.historyLines} history rows, ${report.files} files${report.completed ? ', complete' : ''}`,
        );
        result.runs.push(report);
      }
      if (!only) {
        const store = api.container.resolve(ArtifactStore);
        const remote = new WandbModelRegistry({
          client,
          entity: settings.entity,
          project: settings.project,
          store,
          stateDir: settings.stateDir,
          ...(options.link !== undefined ? { link: options.link } : {}),
          logger: api.logger,
        });
        const registry = await syncRegistryIntents(
          new LocalModelRegistry(store.location),
          remote,
          join(root, 'registry.jsonl'),
          join(root, 'registry-sync.json'),
          api.logger,
        );
        if (registry.registered || registry.aliases || registry.refused) result.registry = registry;
      }
      return result;
    },
  };
}
