import type { Logger, ModelInitialization } from '@mlops/core';
import { MlopsError } from '@mlops/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { readSafetensors } from '../pretrained/safetensors.js';
import { locateTimmCheckpoint, readCheckpointConfig } from '../pretrained/timm-checkpoint.js';
import { planHead } from '../pretrained/timm-config.js';
import { loadTimmStateDict } from '../pretrained/timm-weights.js';

/** Options of {@link initializeFromTimm}. */
export interface InitializeFromTimmOptions {
  /** Directory relative checkpoint paths resolve against. */
  readonly root: string;
  /** The architecture the model was built as (checked against the checkpoint's). */
  readonly architecture: string;
  /** The dataset's classes, in the model's output order. */
  readonly classes: readonly string[];
  /** The architecture's classifier layers, when the checkpoint's config does not name them. */
  readonly headLayers: readonly string[];
  /** Re-initialize the classifier even when the labels match. */
  readonly resetHead: boolean;
  /** Progress and summary lines. */
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Loads a timm checkpoint into a freshly built zoo model: locates (downloads) it, checks its
 * architecture, plans the classifier from its label names and the dataset's classes, and copies
 * every tensor by name, strictly. Returns what the run records about it.
 */
export async function initializeFromTimm(
  model: LayersModel,
  spec: string,
  options: InitializeFromTimmOptions,
): Promise<ModelInitialization> {
  const location = locateTimmCheckpoint(spec, { root: options.root, log: (m) => options.logger.info(m) });
  const config = await readCheckpointConfig(location);
  const weightsFile = await location.weights();
  if (config && config.architecture !== options.architecture) {
    throw new MlopsError(
      'MLOPS_ERR_CHECKPOINT_MISMATCH',
      `${spec} holds a ${config.architecture}, but model.architecture is ${options.architecture}`,
      {
        file: weightsFile,
        hint: `set model.architecture to ${config.architecture} (or leave it out: the checkpoint's config.json sets it)`,
      },
    );
  }
  const { tensors } = await readSafetensors(weightsFile);
  const headLayers = config ? [config.classifier] : options.headLayers;
  const classifierWeight = tensors.get(`${headLayers[0]}.weight`);
  const checkpointClasses = config?.numClasses ?? classifierWeight?.shape[0] ?? 0;
  const head = planHead(
    options.classes,
    { numClasses: checkpointClasses, ...(config?.labelNames ? { labelNames: config.labelNames } : {}) },
    options.resetHead,
  );
  const report = loadTimmStateDict(model, tensors, { file: weightsFile, headLayers, head });
  const headLine =
    head.mode === 'reset'
      ? `classifier re-initialized for ${options.classes.length} classes (${head.reason})`
      : `classifier ${head.mode === 'keep' ? 'kept' : 're-ordered'} (${head.reason})`;
  options.logger.info(`initialized from ${spec}: ${report.loaded.length} tensors loaded; ${headLine}`);
  if (report.adaptedInputConv) {
    const { key, from, to } = report.adaptedInputConv;
    options.logger.info(
      `${key} adapted from ${from} to ${to} input channel(s), as timm's adapt_input_conv does`,
    );
  }
  return {
    source: spec,
    format: 'timm',
    ...(config ? { architecture: config.architecture } : {}),
    loaded: report.loaded,
    reinitialized: report.reinitialized,
    head: report.head,
    headReason: head.reason,
  };
}
