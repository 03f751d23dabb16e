import { ArtifactStore, definePlugin, Exporter, type MlopsPlugin, Runtime } from '@mlops/core';
import { OnnxRuntime } from './runtime/onnx-runtime.js';
import type { SessionThreads } from './runtime/session.js';
import type { OnnxExporterOptions } from './stage/exporter-options.js';
import { OnnxExporter } from './stage/onnx-exporter.js';
import { PLUGIN_ONNX_VERSION } from './version.js';

/** Options of {@link onnx}. */
export interface OnnxPluginOptions extends Omit<OnnxExporterOptions, 'threads'> {
  /** Which model the runtime serves when a version has both. Default `fp32`. */
  serve?: 'fp32' | 'int8';
  /** onnxruntime threads, for serving and for the export stage's checks. */
  threads?: SessionThreads;
}

/**
 * The ONNX plugin: an `onnx` exporter (tfjs → ONNX with a parity check, optional int8 QDQ model)
 * and an onnxruntime-node `Runtime` that the server prefers over tfjs.
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
      api.provide(Exporter, new OnnxExporter({ ...exporter, ...(threads ? { threads } : {}) }));
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
