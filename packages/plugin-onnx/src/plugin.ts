import { ArtifactStore, definePlugin, Exporter, type MlopsPlugin, Runtime } from '@mlops/core';
import { OnnxRuntime } from './runtime/onnx-runtime.js';
import type { SessionThreads } from './runtime/session.js';
import { exportWithinBudget } from './stage/budget-stage.js';
import { deviceProfile } from './stage/device-profiles.js';
import { type OnnxExporterOptions, resolveExporterOptions } from './stage/exporter-options.js';
import { OnnxExporter } from './stage/onnx-exporter.js';
import { PLUGIN_ONNX_VERSION } from './version.js';

/** Options of {@link onnx}. */
export interface OnnxPluginOptions extends Omit<OnnxExporterOptions, 'threads'> {
  /**
   * Which model the runtime serves when a version has both. Default: the version's served format
   * (the smallest inside `export.budget`), else `fp32`.
   */
  serve?: 'fp32' | 'int8';
  /** onnxruntime threads, for serving and for the export stage's checks. */
  threads?: SessionThreads;
}

/** Name of the export-stage tap that applies `export.budget`. */
export const BUDGET_TAP_NAME = '@mlops/plugin-onnx:budget';

/**
 * The ONNX plugin: an `onnx` exporter (tfjs → ONNX with a parity check, optional int8 QDQ model),
 * an onnxruntime-node `Runtime` that the server prefers over tfjs, and `export.budget`: with a
 * budget, the export stage measures every format, registers those inside it and serves the
 * smallest.
 *
 * @example
 * ```ts
 * export default defineConfig({
 *   plugins: [tfjs(), onnx({ serve: 'int8', threads: { intraOp: 2 } })],
 *   export: { formats: ['tfjs', 'onnx'], quantize: 'int8' },
 * });
 * ```
 */
export function onnx(options: OnnxPluginOptions = {}): MlopsPlugin {
  const { serve, threads, ...exporter } = options;
  return definePlugin({
    name: '@mlops/plugin-onnx',
    version: PLUGIN_ONNX_VERSION,
    dependsOn: ['@mlops/plugin-tfjs'],
    apply(api) {
      const { budget } = api.config.export;
      // A misspelled device fails now, not after training.
      if (budget?.device !== undefined) deviceProfile(budget.device, api.config.sources.at(-1));
      api.provide(Exporter, new OnnxExporter({ ...exporter, ...(threads ? { threads } : {}) }));
      // Before core's tap (stage 0), which would register every format unmeasured.
      api.hooks.export.tapPromise({ name: BUDGET_TAP_NAME, stage: -10 }, async (value, ctx) => {
        const limits = ctx.config.export.budget;
        if (value || !limits) return value;
        return exportWithinBudget(ctx, limits, {
          threads: threads ?? {},
          accuracyImages: resolveExporterOptions(exporter).accuracyImages,
        });
      });
      api.provide(
        Runtime,
        new OnnxRuntime({
          store: api.container.resolve(ArtifactStore),
          ...(serve ? { precision: serve } : {}),
          ...(threads ? { threads } : {}),
        }),
      );
    },
  });
}

/** The default export is the plugin factory, so YAML configs can name the package: `plugins: ['@mlops/plugin-onnx']`. */
export default onnx;
