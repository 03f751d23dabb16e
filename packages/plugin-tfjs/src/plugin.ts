import {
  ArtifactStore,
  DataSource,
  definePlugin,
  Engine,
  Exporter,
  ImageDecoder,
  ImageInspector,
  type MlopsPlugin,
  Runtime,
} from '@mlops/core';
import { SharpImageInspector } from './data/image-inspector.js';
import { fashionMnistSource } from './data/sources/fashion-mnist.js';
import { mnistSource } from './data/sources/mnist.js';
import { TfjsEngine, type TfjsEngineOptions } from './engine/tfjs-engine.js';
import { TfjsExporter } from './engine/tfjs-exporter.js';
import { checkpointConfigDefaults } from './pretrained/checkpoint-defaults.js';
import { decodeImageBytes, TfjsRuntime } from './runtime/tfjs-runtime.js';
import { PLUGIN_TFJS_VERSION } from './version.js';

/** Options of {@link tfjs}: the engine's, plus those of the image decoder it provides. */
export interface TfjsPluginOptions extends TfjsEngineOptions {
  /**
   * Largest image (`width * height`) the provided `ImageDecoder` decodes; larger ones are
   * rejected with `MLOPS_ERR_DATA_CORRUPT_IMAGE` before their pixels are allocated. Default 40 M,
   * like the server's `maxPixels`.
   */
  maxPixels?: number;
}

/**
 * The TensorFlow.js engine plugin: provides the `Engine` (model zoo, trainer, evaluator), the
 * `tfjs` exporter, a `Runtime` for serving, the built-in `fashion-mnist` and `mnist` data sources, and an image inspector
 * that finds corrupt files before training.
 *
 * @example
 * ```ts
 * plugins: [tfjs({ backend: 'auto' })]
 * ```
 */
export function tfjs(options: TfjsPluginOptions = {}): MlopsPlugin {
  return definePlugin({
    name: '@mlops/plugin-tfjs',
    version: PLUGIN_TFJS_VERSION,
    // A timm checkpoint brings its architecture, input size and preprocessing as defaults.
    configDefaults: (values, env) =>
      checkpointConfigDefaults(values, env, { log: (message) => process.stderr.write(`${message}\n`) }),
    apply(api) {
      api.provide(Engine, new TfjsEngine(options));
      api.provide(Exporter, new TfjsExporter());
      api.provide(DataSource, fashionMnistSource);
      api.provide(DataSource, mnistSource);
      api.provide(ImageInspector, new SharpImageInspector());
      const maxPixels = options.maxPixels;
      api.provide(ImageDecoder, {
        decode: (bytes) => decodeImageBytes(bytes, maxPixels === undefined ? {} : { maxPixels }),
      });
      // Inference over registry versions with a `tfjs` artifact, for serving.
      api.provide(
        Runtime,
        new TfjsRuntime({
          store: api.container.resolve(ArtifactStore),
          ...(options.backend ? { backend: options.backend } : {}),
        }),
      );
    },
  });
}

/** The default export is the plugin factory, so YAML configs can name the package: `plugins: ['@mlops/plugin-tfjs']`. */
export default tfjs;
