/**
 * The input pipeline of plugin-tfjs: data sources of npm-shipped datasets, the sharp-based image
 * inspector, decoding with an on-disk cache, timm's augmentations, and the batch sources the
 * trainer and evaluator consume.
 */
export { type AugmentKernels, augmentBatch, type ImageShape } from './augment/augment-batch.js';
export { type AugmentParams, augmentParams, unsupportedAugmentations } from './augment/augment-params.js';
export { colorJitter } from './augment/color-jitter.js';
export { gaussianBlur } from './augment/gaussian-blur.js';
export { grayscale } from './augment/grayscale.js';
export { horizontalFlip } from './augment/horizontal-flip.js';
export { augmentKernels } from './augment/kernels.js';
export { type RandAugmentKernels, randAugment } from './augment/rand-augment.js';
export * from './augment/rand-augment-spec.js';
export { type ErasingOptions, randomErasing } from './augment/random-erasing.js';
export { type CropBox, randomResizedCropBox, resizedCrop } from './augment/random-resized-crop.js';
export { verticalFlip } from './augment/vertical-flip.js';
export type { Batch, BatchShape, BatchSource } from './batch-source.js';
export { convertChannels } from './channels.js';
export {
  DECODE_VERSION,
  decodedSplitPath,
  type LoadDecodedSplitOptions,
  loadDecodedSplit,
} from './dataset-cache.js';
export {
  type DecodeNativeOptions,
  type DecodeOptions,
  decodeImage,
  decodeNative,
  type NativePixels,
} from './decode.js';
export { allocateDecodedSplit, type DecodedSplit, imageBytes } from './decoded-split.js';
export { readDecodedSplitFile, writeDecodedSplitFile } from './decoded-split-file.js';
export { EvalBatchSource, type EvalBatchSourceOptions } from './eval-batch-source.js';
export { SharpImageInspector } from './image-inspector.js';
export { type ChannelStats, normalizeInPlace, normalizeUint8 } from './normalize.js';
export { resolveNormalize } from './normalize-config.js';
export {
  DEFAULT_DECODE_MAX_PIXELS,
  ImageTooLargeError,
  SHARP_DEFAULT_MAX_PIXELS,
} from './png/image-too-large-error.js';
export { isPng } from './png/png-chunks.js';
export { type DecodedPng, type DecodePngOptions, decodePng, UnsupportedPngError } from './png/png-decode.js';
export { encodePng } from './png/png-encode.js';
export { resizeCover, resizeRecipeKey, resizeShorterCenterCrop, resizeToInput } from './resize.js';
export { createRng, epochPermutation, type Rng } from './rng.js';
export {
  FASHION_MNIST_LABELS,
  fashionMnistSource,
  fashionMnistSpec,
  materializeFashionMnist,
} from './sources/fashion-mnist.js';
export { MNIST_LABELS, materializeMnist, mnistSource, mnistSpec } from './sources/mnist.js';
export {
  type MaterializeOptions,
  materializeNpmDataset,
  type NpmDatasetSpec,
} from './sources/npm-dataset.js';
export {
  fashionMnistSplits,
  hashIndex,
  mnistSplits,
  rankByHash,
  SPLIT_RULES_VERSION,
  type SplitName,
} from './sources/split-rules.js';
export { TrainBatchSource, type TrainBatchSourceOptions } from './train-batch-source.js';
export { type AugmentWorkerInit, AugmentWorkerPool } from './worker/augment-pool.js';
export { augmentWorkerSource } from './worker/augment-worker-source.js';
