import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tfjsErrors } from '../errors.js';
import { clipByGlobalNorm } from './grad-clip.js';
import { countCorrect, softmaxCrossEntropy } from './loss.js';
import type { ParameterOptimizer } from './optimizer.js';

/** What one optimization step needs. */
export interface TrainStepContext {
  /** The model; its forward runs with `training: true`. */
  model: LayersModel;
  /** Trainable variables (see `trainableVariables`). */
  params: readonly tf.Variable[];
  /** Optimizer over `params`, learning rate already set for this step. */
  optimizer: ParameterOptimizer;
  /** Label smoothing of the loss. */
  labelSmoothing: number;
  /** Max global gradient norm; 0 disables clipping. */
  gradClip: number;
}

/** Scalars of one step, owned by the caller (read them with `.data()`, then dispose). */
export interface TrainStepTensors {
  /** Mean loss of the batch (before the update). */
  loss: tf.Scalar;
  /** Correctly classified images of the batch (int32, before the update). */
  correct: tf.Scalar;
  /** Global gradient norm before clipping. */
  gradNorm: tf.Scalar;
  /** Gradients (before clipping) of the variables named in `captureGradients`, by name. */
  gradients?: tf.NamedTensorMap;
}

/**
 * One optimization step on a batch: forward in training mode (dropout active; BatchNorm
 * normalizes with batch statistics and — tfjs-layers does this inside `call` when
 * `training: true` — updates its moving mean/variance), smoothed cross-entropy,
 * `tf.variableGrads`, clipping by global norm, optimizer update. Synchronous, and no value is read
 * back, so the caller decides when to wait for the device.
 *
 * `captureGradients` (variable names) keeps those gradients alive for the caller — for gradient
 * histograms at no extra forward/backward pass; the caller disposes them.
 */
export function trainStep(
  context: TrainStepContext,
  x: tf.Tensor,
  y: tf.Tensor,
  captureGradients?: readonly string[],
): TrainStepTensors {
  const { model, params, optimizer, labelSmoothing, gradClip } = context;
  let correct: tf.Scalar | undefined;
  try {
    const { loss, gradNorm, gradients } = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true });
        if (!(logits instanceof tf.Tensor))
          throw tfjsErrors.create(
            'MLOPS_TFJS_ERR_MODEL_OUTPUT',
            'Model must have a single tensor output (the logits)',
          );
        // keep: the accuracy count must outlive variableGrads' internal scope; disposed by the caller.
        correct = tf.keep(countCorrect(logits, y));
        return softmaxCrossEntropy(logits, y, labelSmoothing) as tf.Scalar;
      }, params as tf.Variable[]);
      const clipped = clipByGlobalNorm(grads, gradClip);
      optimizer.applyGradients(clipped.grads);
      // Returned from tidy, so they survive it; the optimizer only read them.
      const captured: tf.NamedTensorMap = {};
      for (const name of captureGradients ?? []) {
        const grad = grads[name];
        if (grad) captured[name] = grad;
      }
      return { loss: value, gradNorm: clipped.norm, gradients: captured };
    });
    return captureGradients
      ? { loss, correct: correct!, gradNorm, gradients }
      : { loss, correct: correct!, gradNorm };
  } catch (err) {
    correct?.dispose();
    throw err;
  }
}
