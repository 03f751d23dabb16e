import {
  convertActivation,
  convertELU,
  convertHardSwish,
  convertLeakyReLU,
  convertReLU,
  convertSoftmax,
} from './activation.js';
import { convertLayerScale, convertMultiQueryAttention } from './attention.js';
import { convertBatchNormalization } from './batch-norm.js';
import type { LayerConverter } from './context.js';
import { convertConv2D, convertDepthwiseConv2D } from './conv.js';
import { convertDense } from './dense.js';
import {
  convertAdd,
  convertAverage,
  convertConcatenate,
  convertMaximum,
  convertMinimum,
  convertMultiply,
} from './merge.js';
import {
  convertAveragePooling2D,
  convertGlobalAveragePooling2D,
  convertGlobalMaxPooling2D,
  convertMaxPooling2D,
} from './pooling.js';
import {
  convertFlatten,
  convertIdentity,
  convertRescaling,
  convertReshape,
  convertZeroPadding2D,
} from './shape.js';

/** Layers that are the identity at inference; the exporter looks through them. */
export const IDENTITY_LAYERS: ReadonlySet<string> = new Set([
  'Dropout',
  // plugin-tfjs' stochastic depth (timm's DropPath): drops residual branches in training only.
  'DropPath',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);

/** Keras class name → converter. Every class of the model zoo is here. */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Conv2D: convertConv2D,
  DepthwiseConv2D: convertDepthwiseConv2D,
  BatchNormalization: convertBatchNormalization,
  Dense: convertDense,
  ReLU: convertReLU,
  LeakyReLU: convertLeakyReLU,
  ELU: convertELU,
  Softmax: convertSoftmax,
  Activation: convertActivation,
  HardSwish: convertHardSwish,
  Add: convertAdd,
  Multiply: convertMultiply,
  Maximum: convertMaximum,
  Minimum: convertMinimum,
  Average: convertAverage,
  Concatenate: convertConcatenate,
  MaxPooling2D: convertMaxPooling2D,
  AveragePooling2D: convertAveragePooling2D,
  GlobalAveragePooling2D: convertGlobalAveragePooling2D,
  GlobalMaxPooling2D: convertGlobalMaxPooling2D,
  Flatten: convertFlatten,
  Reshape: convertReshape,
  ZeroPadding2D: convertZeroPadding2D,
  Rescaling: convertRescaling,
  // plugin-tfjs' MobileNetV4-hybrid layers (timm's LayerScale2d and MultiQueryAttention2d core).
  LayerScale: convertLayerScale,
  MultiQueryAttention: convertMultiQueryAttention,
  ...Object.fromEntries([...IDENTITY_LAYERS].map((name) => [name, convertIdentity])),
};

/** Keras classes the exporter converts (plus `InputLayer`), sorted. */
export function supportedLayerClasses(): string[] {
  return ['InputLayer', ...Object.keys(LAYER_CONVERTERS)].sort();
}
