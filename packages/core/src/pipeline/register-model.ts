import { preprocessingOf } from '../config/preprocessing.js';
import { isMlopsError } from '../errors.js';
import type { ArtifactRef } from '../services/artifact-store.js';
import { ModelRegistry } from '../services/model-registry.js';
import type { StageContext } from './stage-context.js';
import type { ExportedModel, ExportOutput } from './stage-outputs.js';

/**
 * Registers the exported model as a new version: artifacts by format, the evaluation metrics,
 * lineage (run, data version, git), labels and preprocessing. Moves the configured aliases, and
 * `registry.promoteTo` when the gate allows it (a refusal is a warning, not a failure).
 */
export async function registerExportedModel(
  ctx: StageContext<'export'>,
  exports: ExportedModel[],
): Promise<ExportOutput['registered']> {
  const registry = ctx.container.resolve(ModelRegistry);
  const data = ctx.input('data');
  const train = ctx.input('train');
  const evaluation = ctx.inputs.evaluate;
  const artifacts: Record<string, ArtifactRef> = {};
  for (const exported of exports) artifacts[exported.format] = exported.artifact;
  if (train.referenceStats) artifacts['reference-stats'] = train.referenceStats;
  const { config } = ctx;
  const version = await registry.register({
    model: config.registry.model,
    artifacts,
    metrics: { ...(evaluation?.metrics ?? {}), ...prefixed('val/', train.metrics) },
    lineage: {
      runId: ctx.run.id,
      dataVersion: data.version,
      ...(ctx.run.gitSha ? { gitSha: ctx.run.gitSha } : {}),
    },
    metadata: {
      labels: data.classes,
      architecture: ctx.input('model').architecture,
      inputShape: ctx.input('model').inputShape,
      preprocessing: { ...preprocessingOf(config) },
      backend: train.backend,
      ...(ctx.input('model').initializedFrom
        ? { initializedFrom: ctx.input('model').initializedFrom as string }
        : {}),
      exports: exports.map((e) => ({ format: e.format, details: e.details })),
    },
    aliases: config.registry.aliases,
  });
  const aliases = [...config.registry.aliases];
  if (config.registry.promoteTo) {
    try {
      await registry.promote(version.model, version.version, config.registry.promoteTo, {
        ...(config.registry.gate ? { gate: config.registry.gate } : {}),
        actor: `run:${ctx.run.id}`,
        reason: 'automatic promotion after export',
      });
      aliases.push(config.registry.promoteTo);
    } catch (error) {
      if (!isMlopsError(error, 'MLOPS_ERR_REGISTRY_GATE')) throw error;
      ctx.logger.warn(`not promoted to ${config.registry.promoteTo}: ${error.message}`);
    }
  }
  ctx.logger.info(
    `registered ${version.model} v${version.version} (aliases: ${aliases.join(', ') || 'none'})`,
  );
  return { model: version.model, version: version.version, aliases };
}

function prefixed(prefix: string, metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([key, value]) => [`${prefix}${key}`, value]));
}
