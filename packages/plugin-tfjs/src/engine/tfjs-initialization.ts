import type { Logger, ModelInitialization } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { loadModel } from '../model-io/save-load.js';
import { transferWeights } from '../models/transfer.js';
import { planHead } from '../pretrained/timm-config.js';

/** Options of {@link initializeFromTfjs}. */
export interface InitializeFromTfjsOptions {
  /** The dataset's classes, in the model's output order. */
  readonly classes: readonly string[];
  /** The architecture's classifier layers. */
  readonly headLayers: readonly string[];
  /** Re-initialize the classifier even when the labels match. */
  readonly resetHead: boolean;
  /** Summary line. */
  readonly logger: Pick<Logger, 'info'>;
}

/** The class labels a saved mlops model records in its metadata, if any. */
function savedClasses(model: LayersModel): string[] | undefined {
  const classes = (model.getUserDefinedMetadata() as { classes?: unknown } | undefined)?.classes;
  return Array.isArray(classes) && classes.every((c) => typeof c === 'string')
    ? (classes as string[])
    : undefined;
}

/** Re-orders a Dense classifier's outputs: output `i` takes the source's output `order[i]`. */
function reorderClassifier(model: LayersModel, layerName: string, order: readonly number[]): void {
  const layer = model.getLayer(layerName);
  const indices = tf.tensor1d([...order], 'int32');
  const reordered = layer.getWeights().map((w) => tf.gather(w, indices, w.rank - 1));
  layer.setWeights(reordered);
  tf.dispose([indices, ...reordered]);
}

/**
 * Copies a saved mlops model (the train or export stage's `model.json`) into a freshly built
 * model, layer by layer. The classifier follows the same rule as for timm checkpoints: kept when
 * the source was trained on the dataset's classes (re-ordered when their order differs),
 * re-initialized otherwise — also when the class *count* happens to be equal.
 */
export async function initializeFromTfjs(
  model: LayersModel,
  spec: string,
  dir: string,
  options: InitializeFromTfjsOptions,
): Promise<ModelInitialization> {
  const source = await loadModel(dir);
  let head: ReturnType<typeof planHead>;
  let transfer: ReturnType<typeof transferWeights>;
  try {
    const labels = savedClasses(source);
    const numClasses = Number(source.outputs[0]?.shape.at(-1) ?? 0);
    head = planHead(
      options.classes,
      { numClasses, ...(labels ? { labelNames: labels } : {}) },
      options.resetHead,
    );
    transfer = transferWeights(model, source, head.mode === 'reset' ? { exclude: options.headLayers } : {});
  } finally {
    source.dispose();
  }
  if (head.mode === 'reorder')
    for (const name of options.headLayers) reorderClassifier(model, name, head.order);
  const reinitialized = [...transfer.reinitialized, ...transfer.skipped];
  const headLine =
    head.mode === 'reset'
      ? `classifier re-initialized (${head.reason})`
      : `classifier ${head.mode === 'keep' ? 'kept' : 're-ordered'} (${head.reason})`;
  options.logger.info(
    `initialized from ${spec}: ${transfer.copied.length} layers copied; ${headLine}${reinitialized.length ? `; re-initialized ${reinitialized.join(', ')}` : ''}`,
  );
  return {
    source: spec,
    format: 'tfjs',
    loaded: transfer.copied,
    reinitialized,
    head: head.mode,
    headReason: head.reason,
  };
}
