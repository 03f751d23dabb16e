import { preprocessingOf } from '../config/preprocessing.js';
import { REFERENCE_STATS_ARTIFACT } from '../data/drift-reference.js';
import { isMlopsError } from '../errors.js';
import { evaluationMetadata, sameDataEvidence } from '../registry/same-data-evaluation.js';
import type { ArtifactRef } from '../services/artifact-store.js';
import { ModelRegistry } from '../services/model-registry.js';
import type { JsonObject } from '../util/json.js';
import type { ExportBudgetOutcome } from './export-budget.js';
import { evaluationPrefix } from './run-explanations.js';
import type { StageContext } from './stage-context.js';
import type { ExportedModel, ExportOutput } from './stage-outputs.js';

/**
 * Registers the exported model as a new version: artifacts by format, the evaluation metrics,
 * lineage (run, data version, git), labels, preprocessing, and what it was evaluated on. Moves
 * the configured aliases, and `registry.promoteTo` when the gate allows it (a refusal is a
 * warning, not a failure); when the alias's holder was evaluated on other data, both are first
 * measured on this version's evaluation split, so the gate compares like with like. Artifacts
 * identical to a registered version's register nothing new (a resumed run that reproduced a model).
 */
export async function registerExportedModel(
  ctx: StageContext<'export'>,
  exports: ExportedModel[],
  options: { budget?: ExportBudgetOutcome } = {},
): Promise<ExportOutput['registered']> {
  const registry = ctx.container.resolve(ModelRegistry);
  const data = ctx.input('data');
  const train = ctx.input('train');
  const model = ctx.input('model');
  const evaluation = ctx.inputs.evaluate;
  const artifacts: Record<string, ArtifactRef> = {};
  for (const exported of exports) artifacts[exported.format] = exported.artifact;
  if (train.referenceStats) artifacts[REFERENCE_STATS_ARTIFACT] = train.referenceStats;
  const { config } = ctx;
  const evaluated = evaluation
    ? evaluationMetadata(
        await ctx.store.getTree(data.dataset),
        data.version,
        evaluationPrefix(evaluation.split, config),
      )
    : undefined;
  // Registries that do not honour `reuseIdentical` still see no duplicate from a rerun.
  const existing = (await registry.listVersions(config.registry.model).catch(() => [])).find((v) =>
    sameArtifacts(v.artifacts, artifacts),
  );
  const version =
    existing ??
    (await registry.register({
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
        architecture: model.architecture,
        inputShape: model.inputShape,
        preprocessing: { ...preprocessingOf(config) },
        backend: train.backend,
        ...(model.initializedFrom ? { initializedFrom: model.initializedFrom } : {}),
        exports: exports.map((e) => ({
          format: e.format,
          details: e.details,
          // Plain data (numbers, strings, arrays of them): JSON as it is.
          ...(e.measured ? { measured: e.measured as unknown as JsonObject } : {}),
        })),
        // `export.budget`: every format's verdict, and the one `serve` uses (the smallest inside it).
        ...(options.budget
          ? {
              budget: options.budget as unknown as JsonObject,
              ...(options.budget.chosen ? { servedFormat: options.budget.chosen } : {}),
            }
          : {}),
        ...(evaluated ? { evaluation: { ...evaluated } } : {}),
      },
      aliases: config.registry.aliases,
      reuseIdentical: true,
    }));
  if (version.lineage.runId !== ctx.run.id) {
    ctx.logger.info(
      `${version.model} v${version.version} already holds these artifacts (registered by run ${version.lineage.runId ?? 'unknown'}): not registered again`,
    );
  }
  const aliases =
    version.lineage.runId === ctx.run.id
      ? [...config.registry.aliases]
      : version.aliases.filter((alias) => alias !== config.registry.promoteTo);
  if (config.registry.promoteTo) {
    try {
      const gate = config.registry.gate;
      const evidence = gate
        ? await sameDataEvidence({
            registry,
            container: ctx.container,
            candidate: version,
            alias: config.registry.promoteTo,
            gate,
            logger: ctx.logger,
          })
        : undefined;
      await registry.promote(version.model, version.version, config.registry.promoteTo, {
        ...(gate ? { gate } : {}),
        ...(evidence ? { evidence } : {}),
        actor: `run:${ctx.run.id}`,
        reason: 'automatic promotion after export',
      });
      aliases.push(config.registry.promoteTo);
    } catch (error) {
      if (!isMlopsError(error, 'MLOPS_ERR_REGISTRY_GATE')) throw error;
      ctx.logger.warn(`not promoted to ${config.registry.promoteTo}: ${error.message}`);
    }
  }
  if (version.lineage.runId === ctx.run.id) {
    ctx.logger.info(
      `registered ${version.model} v${version.version} (aliases: ${aliases.join(', ') || 'none'})`,
    );
  }
  return { model: version.model, version: version.version, aliases };
}

function sameArtifacts(a: Record<string, ArtifactRef>, b: Record<string, ArtifactRef>): boolean {
  const roles = Object.keys(a);
  return roles.length === Object.keys(b).length && roles.every((role) => a[role]?.hash === b[role]?.hash);
}

function prefixed(prefix: string, metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([key, value]) => [`${prefix}${key}`, value]));
}
