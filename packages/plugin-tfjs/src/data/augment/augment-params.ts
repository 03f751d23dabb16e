import { type AugmentConfig, MlopsError } from '@mlops/core';
import type { ChannelStats } from '../normalize.js';
import { parseRandAugment, type RandAugmentSpec } from './rand-augment-spec.js';

/**
 * The augmentation recipe in the plain-data form worker threads receive: core's `AugmentConfig`
 * (timm's training transforms: random resized crop, flips, RandAugment, color jitter, grayscale,
 * gaussian blur, random erasing) checked and resolved, plus the normalization between them.
 */
export interface AugmentParams
  extends Pick<
    AugmentConfig,
    'ratio' | 'hflip' | 'vflip' | 'colorJitter' | 'grayscale' | 'gaussianBlur' | 'randomErasing'
  > {
  /** `AugmentConfig.scale`, with `null` for no crop. */
  scale: [number, number] | null;
  /** Range σ of the blur is drawn from (timm: 0.1–2.0). */
  blurSigma: [number, number];
  /** Normalization mean per channel. */
  mean: number[];
  /** Normalization std per channel. */
  std: number[];
  /** RandAugment, parsed from `AugmentConfig.randAugment`; absent when off. */
  randAugment?: RandAugmentSpec;
  /**
   * Fill of RandAugment's geometric ops per channel: timm's `img_mean`, the normalization mean
   * × 255 rounded (128 when absent, timm's `_FILL`).
   */
  fill?: number[];
}

/** Converts the `train.augment` config; throws `MLOPS_ERR_CONFIG_INVALID` for out-of-range values. */
export function augmentParams(augment: AugmentConfig, stats: ChannelStats): AugmentParams {
  const probability = (name: keyof AugmentConfig, value: number): number => {
    if (!(value >= 0 && value <= 1)) {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `train.augment.${name} must be a probability in [0, 1], got ${value}`,
        {
          hint: `Set train.augment.${name} between 0 (off) and 1 (always).`,
        },
      );
    }
    return value;
  };
  const range = (name: string, value: [number, number], min: number): [number, number] => {
    if (!(value[0] > min && value[0] <= value[1])) {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `train.augment.${name} must be [lo, hi] with ${min} < lo <= hi, got [${value.join(', ')}]`,
        {
          hint: `timm's defaults are scale [0.08, 1] and ratio [0.75, 1.3333].`,
        },
      );
    }
    return [value[0], value[1]];
  };
  if (!(augment.colorJitter >= 0)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `train.augment.colorJitter must be >= 0, got ${augment.colorJitter}`,
      {
        hint: 'timm uses 0.4; 0 disables color jitter.',
      },
    );
  }
  const randAugment = augment.randAugment ? parseRandAugment(augment.randAugment) : undefined;
  return {
    scale: augment.scale === false ? null : range('scale', augment.scale, 0),
    ratio: range('ratio', augment.ratio, 0),
    hflip: probability('hflip', augment.hflip),
    vflip: probability('vflip', augment.vflip),
    // timm turns color jitter off when RandAugment is on (transforms_imagenet_train).
    colorJitter: randAugment ? 0 : augment.colorJitter,
    grayscale: probability('grayscale', augment.grayscale),
    gaussianBlur: probability('gaussianBlur', augment.gaussianBlur),
    blurSigma: [0.1, 2.0],
    randomErasing: probability('randomErasing', augment.randomErasing),
    mean: stats.mean,
    std: stats.std,
    ...(randAugment
      ? { randAugment, fill: stats.mean.map((m) => Math.min(255, Math.max(0, Math.round(255 * m)))) }
      : {}),
  };
}

/**
 * Parts of the config this pipeline does not implement, so callers can warn. Every
 * `train.augment` option is implemented now (RandAugment included; an unparsable
 * `randAugment` is a config error from {@link augmentParams}), so the list is empty; kept as the
 * engine's single place to learn about future gaps.
 */
export function unsupportedAugmentations(_augment: AugmentConfig): string[] {
  return [];
}
