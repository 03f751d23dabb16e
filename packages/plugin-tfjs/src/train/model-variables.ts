import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

type LayerWeight = LayersModel['weights'][number];

function toVariables(weights: readonly LayerWeight[]): tf.Variable[] {
  return weights.map((w) => {
    // LayerVariable.read() is typed as Tensor but returns the tf.Variable holding the weight,
    // which is what tf.variableGrads differentiates against and what optimizers assign to.
    const value = w.read();
    if (!(value instanceof tf.Variable)) throw new Error(`Weight ${w.name} is not backed by a tf.Variable`);
    return value;
  });
}

/** The model's trainable weights as `tf.Variable`s (what the optimizer updates). */
export function trainableVariables(model: LayersModel): tf.Variable[] {
  return toVariables(model.trainableWeights);
}

/**
 * All the model's weights as `tf.Variable`s — trainable ones and non-trainable state such as
 * BatchNorm moving statistics — in `model.weights` order (stable for a given architecture).
 */
export function modelVariables(model: LayersModel): tf.Variable[] {
  return toVariables(model.weights);
}
