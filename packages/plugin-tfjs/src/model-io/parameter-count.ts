import type { LayersModel } from '@tensorflow/tfjs-layers';

/** Parameter counts of a model. */
export interface ParameterCount {
  /** Weights updated by training. Comparable to PyTorch/timm parameter counts. */
  trainable: number;
  /** Weights not trained by gradient, e.g. BatchNorm moving mean/variance (PyTorch "buffers"). */
  nonTrainable: number;
  /** `trainable + nonTrainable`; equals tfjs `model.countParams()`. */
  total: number;
}

type Weights = LayersModel['trainableWeights'];

function countElements(weights: Weights): number {
  return weights.reduce((sum, w) => sum + w.shape.reduce<number>((n, d) => n * (d ?? 0), 1), 0);
}

/**
 * Counts a model's parameters. `trainable` is the number to compare with timm model cards
 * (e.g. 3.77M for MobileNetV4-Conv-Small at 1000 classes); `total` also includes BN statistics.
 */
export function modelParameterCount(model: LayersModel): ParameterCount {
  const trainable = countElements(model.trainableWeights);
  const nonTrainable = countElements(model.nonTrainableWeights);
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}
