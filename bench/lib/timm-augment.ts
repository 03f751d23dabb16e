import type { AugmentConfig } from '@mlops/core';

/**
 * The old system's timm augmentation recipe (REFERENCE.md: random-resized-crop scale 0.08–1,
 * hflip 0.5, color jitter 0.4, grayscale 0.1, gaussian blur 0.05, random erasing 0.25), as the
 * input-pipeline benches measure it.
 */
export const TIMM_AUGMENT: AugmentConfig = {
  scale: [0.08, 1],
  ratio: [3 / 4, 4 / 3],
  hflip: 0.5,
  vflip: 0,
  colorJitter: 0.4,
  grayscale: 0.1,
  gaussianBlur: 0.05,
  randomErasing: 0.25,
};
