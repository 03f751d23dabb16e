import type { io } from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
// Registers the zoo's custom layers (DropPath, LayerScale, MultiQueryAttention) with tfjs'
// serialization, so models using them load.
import '../models/attention.js';
import '../models/drop-path.js';
import '../models/layer-scale.js';
import { fileSystemLoader } from './fs-loader.js';
import { fileSystemSaver } from './fs-saver.js';
import type { ModelMetadata } from './metadata.js';

/**
 * Saves a model's topology and weights to `dir` (atomically; see `fileSystemSaver`).
 * `extraMetadata` is merged over the model's own user-defined metadata and comes back from
 * `loadModel(dir).getUserDefinedMetadata()`.
 */
export async function saveModel(
  model: LayersModel,
  dir: string,
  extraMetadata?: ModelMetadata,
): Promise<io.SaveResult> {
  return model.save(fileSystemSaver(dir, extraMetadata ? { userDefinedMetadata: extraMetadata } : {}));
}

/** Options for `loadModel`. */
export interface LoadModelOptions {
  /** Require every weight in the file to match a model weight and vice versa (default true). */
  strict?: boolean;
}

/** Loads a model saved by `saveModel` (or tfjs-node's `file://` handler) from `dir`. */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LayersModel> {
  return loadLayersModel(fileSystemLoader(dir), { strict: options.strict ?? true });
}
