import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** A trainable kernel and the name it is reported under. */
export interface NamedKernel {
  /** The layer's name, with the weight's name appended when the layer has several kernels. */
  key: string;
  /** The variable (what `tf.variableGrads` keys its gradients by, via `variable.name`). */
  variable: tf.Variable;
}

/** Last path segment of a weight name without tfjs' `_N` uniquifier: `conv/kernel_3` → `kernel`. */
function weightName(name: string): string {
  return (name.split('/').pop() ?? name).replace(/_\d+$/, '');
}

/**
 * The trainable kernels of every layer (dense and convolution kernels, depthwise and pointwise
 * kernels; not biases or BatchNorm parameters, whose distributions say little), keyed by layer
 * name — the weights whose histograms show initialization and training going wrong.
 */
export function kernelVariables(model: LayersModel): NamedKernel[] {
  const out: NamedKernel[] = [];
  for (const layer of model.layers) {
    const kernels = layer.trainableWeights.filter((w) => weightName(w.originalName).endsWith('kernel'));
    for (const weight of kernels) {
      const value = weight.read();
      if (!(value instanceof tf.Variable)) continue;
      const key = kernels.length === 1 ? layer.name : `${layer.name}.${weightName(weight.originalName)}`;
      out.push({ key, variable: value });
    }
  }
  return out;
}
