import { normalizeInPlace } from '../normalize.js';
import { createRng } from '../rng.js';
import { affineTransform } from './affine-transform.js';
import type { AugmentKernels } from './augment-batch.js';
import { colorJitter } from './color-jitter.js';
import { brightness, color, contrast, sharpness } from './enhance-ops.js';
import { gaussianBlur } from './gaussian-blur.js';
import { grayscale } from './grayscale.js';
import { autoContrast, equalize } from './histogram-ops.js';
import { horizontalFlip } from './horizontal-flip.js';
import { invert, posterize, solarize, solarizeAdd } from './point-ops.js';
import { randAugment } from './rand-augment.js';
import { randomErasing } from './random-erasing.js';
import { randomResizedCropBox, resizedCrop } from './random-resized-crop.js';
import { rotationMatrix } from './rotation-matrix.js';
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
  randAugment,
  autoContrast,
  equalize,
  invert,
  posterize,
  solarize,
  solarizeAdd,
  brightness,
  contrast,
  color,
  sharpness,
  rotationMatrix,
  affineTransform,
  colorJitter,
  grayscale,
  gaussianBlur,
  randomErasing,
  normalizeInPlace,
};
