import { join } from 'node:path';
import {
  ArtifactStore,
  definePlugin,
  LocalModelRegistry,
  type MlopsPlugin,
  ModelRegistry,
  SweepObserver,
  Tracker,
} from '@mlops/core';
import { syncCommand } from './commands/sync-command.js';
import { connectWandb, missingKeyError } from './connect.js';
import { FallbackModelRegistry } from './registry/fallback-registry.js';
import { SpoolingModelRegistry } from './registry/spooling-registry.js';
import { WandbModelRegistry } from './registry/wandb-model-registry.js';
import { resolveSettings, type WandbPluginOptions } from './settings.js';
import { wandbSweepObserver } from './sweep/wandb-sweep.js';
import { WandbTracker } from './tracker/wandb-tracker.js';
import { PLUGIN_WANDB_VERSION } from './version.js';

/**
 * Weights & Biases tracking and model registry over W&B's HTTP API. Adds a `Tracker` that logs
 * config, metrics per step, images, histograms, tables and the summary of every run; with
 * `registry: true`, makes W&B artifacts the `ModelRegistry` (versions, aliases, `serve` from
 * W&B; changes spool locally while W&B cannot be reached); adds `mlops wandb sync [runId]` to
 * upload what was spooled.
 *
 * @example
 * ```ts
 * plugins: [tfjs(), wandb({ entity: 'my-team', project: 'fashion', registry: true })]
 * ```
 */
export function wandb(options: WandbPluginOptions = {}): MlopsPlugin {
  return definePlugin({
    name: '@mlops/plugin-wandb',
    version: PLUGIN_WANDB_VERSION,
    async apply(api) {
      const settings = resolveSettings(options, api.config);
      api.command(syncCommand(settings, options));
      if (settings.mode === 'disabled') return;
      const spoolRoot = join(settings.stateDir, 'spool');
      api.provide(
        Tracker,
        new WandbTracker({
          entity: settings.entity,
          project: settings.project,
          mode: settings.mode,
          spoolRoot,
          connect: () => connectWandb(settings, options),
          ...(settings.group ? { group: settings.group } : {}),
          tags: settings.tags,
          jobType: settings.jobType,
          ...(options.flushIntervalMs ? { flushIntervalMs: options.flushIntervalMs } : {}),
          ...(options.transmitIntervalMs ? { transmitIntervalMs: options.transmitIntervalMs } : {}),
          ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
          logger: api.logger,
        }),
      );
      api.provide(
        SweepObserver,
        wandbSweepObserver({
          entity: settings.entity,
          project: settings.project,
          mode: settings.mode,
          connect: () => connectWandb(settings, options),
          logger: api.logger,
        }),
      );
      if (!settings.registry) return;
      const store = api.container.resolve(ArtifactStore);
      const local = api.container.isRegistered(ModelRegistry, true)
        ? api.container.resolve(ModelRegistry)
        : new LocalModelRegistry(store.location);
      // Offline (and, online, once W&B cannot be reached) registry changes are spooled here.
      const spool = new SpoolingModelRegistry(local, join(spoolRoot, 'registry.jsonl'));
      if (settings.mode === 'offline') {
        api.provide(ModelRegistry, spool);
        return;
      }
      const client = await connectWandb(settings, options);
      if (!client) throw missingKeyError(settings.baseUrl);
      const online = new WandbModelRegistry({
        client,
        entity: settings.entity,
        project: settings.project,
        store,
        stateDir: settings.stateDir,
        ...(options.link !== undefined ? { link: options.link } : {}),
        logger: api.logger,
      });
      api.provide(ModelRegistry, new FallbackModelRegistry({ online, spool, logger: api.logger }));
    },
  });
}

/** The default export is the plugin factory, so YAML configs can name the package. */
export default wandb;
