import { MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Batch, BatchShape } from '../data/batch-source.js';
import { tfjsErrors } from '../errors.js';

/** A batch as tensors, owned by the caller. */
export interface BatchTensors {
  /** Images `[n, height, width, channels]` (channels as the model expects). */
  x: tf.Tensor4D;
  /** Labels `[n]`, int32. */
  y: tf.Tensor1D;
}

/** Channels of the model's (first) input, or undefined when not fixed. */
export function modelInputChannels(model: LayersModel): number | undefined {
  const shape = model.inputs[0]?.shape;
  const channels = shape?.[shape.length - 1];
  return typeof channels === 'number' ? channels : undefined;
}

/** What {@link batchToTensors} checks and adapts to. */
export interface BatchTensorOptions {
  /** Input channels of the model (see {@link modelInputChannels}); default: the data's. */
  modelChannels?: number;
  /** Class count; labels outside `[0, numClasses)` are rejected (one-hot would silently zero them). */
  numClasses?: number;
}

/**
 * Turns a pipeline batch into tensors. Grayscale batches fed to a 3-channel model are repeated
 * across channels here, so an RGB architecture trains on 1-channel data even when the pipeline
 * did not expand it; any other channel mismatch is an error.
 */
export function batchToTensors(
  batch: Batch,
  shape: BatchShape,
  options: BatchTensorOptions = {},
): BatchTensors {
  const { height, width, channels } = shape;
  if (batch.x.length !== batch.n * height * width * channels) {
    throw new Error(
      `Batch of ${batch.n} has ${batch.x.length} values, expected ${batch.n}×${height}×${width}×${channels}`,
    );
  }
  if (batch.y.length !== batch.n) throw new Error(`Batch of ${batch.n} has ${batch.y.length} labels`);
  if (options.numClasses !== undefined) {
    for (const label of batch.y) {
      if (label < 0 || label >= options.numClasses) {
        throw new MlopsError(
          'MLOPS_ERR_DATA_INVALID',
          `Label ${label} is outside [0, ${options.numClasses})`,
          {
            hint: 'The labels must be class indices of the dataset; rebuild the data stage (mlops run data --force).',
          },
        );
      }
    }
  }
  const target = options.modelChannels ?? channels;
  if (target !== channels && !(channels === 1 && target === 3)) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_DATA_MODEL_MISMATCH',
      `Model expects ${target} input channels, the data has ${channels}`,
      {
        hint: 'Set data.channels to what the model takes, or build the model for the data (mlops run model --force).',
      },
    );
  }
  return tf.tidy(() => {
    const images = tf.tensor4d(batch.x, [batch.n, height, width, channels]);
    return {
      x: target === channels ? images : tf.tile(images, [1, 1, 1, target]),
      y: tf.tensor1d(batch.y, 'int32'),
    };
  });
}
