import { normalizeInPlace } from '../normalize.js';
import { createRng } from '../rng.js';
import type { AugmentKernels } from './augment-batch.js';
import { colorJitter } from './color-jitter.js';
import { gaussianBlur } from './gaussian-blur.js';
import { grayscale } from './grayscale.js';
import { horizontalFlip } from './horizontal-flip.js';
import { randomErasing } from './random-erasing.js';
import { randomResizedCropBox, resizedCrop } from './random-resized-crop.js';
import { verticalFlip } from './vertical-flip.js';

/**
 * The augmentation functions, by name. Every one is self-contained (it references only its
 * parameters and JavaScript globals), which is what lets the worker threads rebuild them from
 * their source text.
 */
export const augmentKernels: AugmentKernels = {
  createRng,
  randomResizedCropBox,
  resizedCrop,
  horizontalFlip,
  verticalFlip,
  colorJitter,
  grayscale,
  gaussianBlur,
  randomErasing,
  normalizeInPlace,
};
