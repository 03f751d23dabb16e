import { imageFolderSource, runDataStage } from '../data/index.js';
import { MlopsError } from '../errors.js';
import { definePlugin, type MlopsPlugin } from '../plugin/plugin.js';
import { DataSource } from '../services/data-source.js';
import { Engine } from '../services/engine.js';
import { Exporter } from '../services/exporter.js';
import { CORE_VERSION } from '../version.js';
import { registerExportedModel } from './register-model.js';
import { evaluationPrefix } from './run-explanations.js';
import type { StageContext } from './stage-context.js';
import type { ExportedModel, StageName } from './stage-outputs.js';
import { PROVIDER_HINTS } from './stage-rules.js';

/** Name of core's taps of the stage hooks: a tap by another name replaces or refines a stage. */
export const CORE_TAP_NAME = 'mlops:core';

const CORE_TAP = { name: CORE_TAP_NAME, stage: 0 } as const;

function engineOf(ctx: StageContext<StageName>): Engine {
  if (!ctx.container.isRegistered(Engine, true)) {
    throw new MlopsError(
      'MLOPS_ERR_SERVICE_MISSING',
      `the ${ctx.stage} stage needs an engine, and no plugin provides one`,
      { hint: PROVIDER_HINTS.engine },
    );
  }
  return ctx.container.resolve(Engine);
}

/** Known exporter packages, for the error when a format has no exporter. */
export const EXPORTER_PACKAGES: Readonly<Record<string, string>> = {
  tfjs: '@mlops/plugin-tfjs',
  onnx: '@mlops/plugin-onnx',
};

/**
 * Runs the exporter of each of `export.formats`, in order; what they wrote, not yet registered.
 * Core's export tap registers the result; a plugin that replaces the stage (the export budget)
 * measures and filters it first.
 */
export async function runExporters(ctx: StageContext<'export'>): Promise<ExportedModel[]> {
  const exporters = ctx.container.isRegistered(Exporter, true) ? ctx.container.resolveAll(Exporter) : [];
  const exports: ExportedModel[] = [];
  for (const format of ctx.config.export.formats) {
    const exporter = exporters.find((candidate) => candidate.format === format);
    if (!exporter) {
      throw new MlopsError('MLOPS_ERR_SERVICE_MISSING', `no exporter for format "${format}"`, {
        hint: `${EXPORTER_PACKAGES[format] ? `add ${EXPORTER_PACKAGES[format]} to plugins` : 'add the plugin that exports it'}, or remove "${format}" from export.formats (available: ${exporters.map((e) => e.format).join(', ') || 'none'})`,
      });
    }
    exports.push(...(await exporter.export(ctx)));
  }
  return exports;
}

/**
 * Core's own plugin: the default implementation of each stage from the registered services
 * (DataSource, Engine, Exporter, ModelRegistry), and the bridge from events to trackers. Each
 * default tap leaves a value produced by an earlier tap alone.
 */
export function corePlugin(): MlopsPlugin {
  return definePlugin({
    name: '@mlops/core',
    version: CORE_VERSION,
    enforce: 'pre',
    apply(api) {
      api.provide(DataSource, imageFolderSource);
      const { hooks } = api;
      hooks.data.tapPromise(CORE_TAP, async (value, ctx) => value ?? runDataStage(ctx));
      hooks.model.tapPromise(CORE_TAP, async (value, ctx) => value ?? engineOf(ctx).buildModel(ctx));
      hooks.train.tapPromise(CORE_TAP, async (value, ctx) => value ?? engineOf(ctx).train(ctx));
      hooks.evaluate.tapPromise(CORE_TAP, async (value, ctx) => {
        if (value) return value;
        const result = await engineOf(ctx).evaluate(ctx);
        // Named by the split evaluated: `validation/top1` when the data had no test split.
        const prefix = evaluationPrefix(result.split, ctx.config);
        ctx.tracker.logSummary(
          Object.fromEntries(Object.entries(result.metrics).map(([k, v]) => [`${prefix}/${k}`, v])),
        );
        ctx.tracker.logTable?.('confusion_matrix', {
          classes: result.classes,
          matrix: result.confusionMatrix,
        });
        ctx.tracker.logTable?.('roc', result.roc);
        return result;
      });
      hooks.export.tapPromise(CORE_TAP, async (value, ctx) => {
        if (value) return value;
        if (ctx.config.export.budget) {
          // A budget nobody measured must not pass silently: the plugin that measures taps first.
          throw new MlopsError(
            'MLOPS_ERR_SERVICE_MISSING',
            'export.budget is set, and no plugin measures exports against it',
            {
              hint: "add @mlops/plugin-onnx (import { onnx } from '@mlops/plugin-onnx'; plugins: [tfjs(), onnx()]), or remove export.budget",
            },
          );
        }
        const exports = await runExporters(ctx);
        return { exports, registered: await registerExportedModel(ctx, exports) };
      });
    },
  });
}
