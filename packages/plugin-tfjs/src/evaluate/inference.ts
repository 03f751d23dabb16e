import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BatchSource } from '../data/batch-source.js';
import { tfjsErrors } from '../errors.js';
import { softmaxCrossEntropy } from '../train/loss.js';
import { batchToTensors, modelInputChannels } from './batch-tensors.js';

/** Options of {@link runInference}. */
export interface InferenceOptions {
  /** Images per forward pass; default 128. */
  batchSize?: number;
  /** Label smoothing of the reported loss; default 0 (plain cross-entropy, as timm validates). */
  labelSmoothing?: number;
  /** Epoch passed to the source (evaluation sources ignore it); default 1. */
  epoch?: number;
  /** Stops between batches; the partial result is discarded by throwing the signal's reason. */
  signal?: AbortSignal;
}

/** Everything an evaluation needs from one pass over a source. */
export interface InferenceResult {
  /** Softmax probabilities, row-major `[count, numClasses]`. */
  probabilities: Float32Array;
  /** True labels, `[count]`. */
  labels: Int32Array;
  /** Images seen. */
  count: number;
  /** Classes (columns of `probabilities`). */
  numClasses: number;
  /** Mean cross-entropy (with `labelSmoothing`) computed from the logits. */
  meanLoss: number;
}

function logitsOf(model: LayersModel, x: tf.Tensor): tf.Tensor {
  const out = model.apply(x, { training: false });
  if (!(out instanceof tf.Tensor))
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_MODEL_OUTPUT',
      'Model must have a single tensor output (the logits)',
    );
  return out;
}

/**
 * Runs the model over every batch of `source` in inference mode (`training: false`: dropout off,
 * BatchNorm on its moving statistics) and gathers probabilities, labels and the mean loss.
 * Tensors live only within one batch.
 */
export async function runInference(
  model: LayersModel,
  source: BatchSource,
  options: InferenceOptions = {},
): Promise<InferenceResult> {
  const batchSize = options.batchSize ?? 128;
  const numClasses = source.numClasses;
  const modelChannels = modelInputChannels(model);
  let probabilities = new Float32Array(source.size * numClasses);
  let labels = new Int32Array(source.size);
  let count = 0;
  let lossSum = 0;
  for await (const batch of source.batches(options.epoch ?? 1, batchSize)) {
    options.signal?.throwIfAborted();
    if (batch.n === 0) continue;
    const [probs, loss] = tf.tidy(() => {
      const { x, y } = batchToTensors(batch, source.shape, { modelChannels, numClasses });
      const logits = logitsOf(model, x);
      if (logits.shape[1] !== numClasses) {
        throw tfjsErrors.create(
          'MLOPS_TFJS_ERR_DATA_MODEL_MISMATCH',
          `Model emits ${logits.shape[1]} logits, the data has ${numClasses} classes`,
        );
      }
      return [tf.softmax(logits), softmaxCrossEntropy(logits, y, options.labelSmoothing ?? 0, 'sum')];
    });
    const [probValues, lossValue] = await Promise.all([probs.data(), loss.data()]);
    tf.dispose([probs, loss]);
    if (count + batch.n > labels.length) {
      // The source yielded more than its declared size; grow rather than drop images.
      const capacity = Math.max(count + batch.n, labels.length * 2);
      const grownProbs = new Float32Array(capacity * numClasses);
      grownProbs.set(probabilities);
      const grownLabels = new Int32Array(capacity);
      grownLabels.set(labels);
      probabilities = grownProbs;
      labels = grownLabels;
    }
    probabilities.set(probValues as Float32Array, count * numClasses);
    labels.set(batch.y, count);
    lossSum += lossValue[0]!;
    count += batch.n;
  }
  return {
    probabilities: probabilities.subarray(0, count * numClasses),
    labels: labels.subarray(0, count),
    count,
    numClasses,
    meanLoss: count === 0 ? Number.NaN : lossSum / count,
  };
}
