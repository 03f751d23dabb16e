import type { Rng } from '../rng.js';
import type { RandAugmentSpec } from './rand-augment-spec.js';

/**
 * The op functions {@link randAugment} calls, passed in (like `AugmentKernels`) so the same code
 * runs in the main thread and, rebuilt from source text, in worker threads.
 */
export interface RandAugmentKernels {
  /** See `histogram-ops.ts`. */
  autoContrast(img: Uint8Array, channels: number): void;
  /** See `histogram-ops.ts`. */
  equalize(img: Uint8Array, channels: number): void;
  /** See `point-ops.ts`. */
  invert(img: Uint8Array): void;
  /** See `point-ops.ts`. */
  posterize(img: Uint8Array, bits: number): void;
  /** See `point-ops.ts`. */
  solarize(img: Uint8Array, threshold: number): void;
  /** See `point-ops.ts`. */
  solarizeAdd(img: Uint8Array, add: number, threshold?: number): void;
  /** See `enhance-ops.ts`. */
  brightness(img: Uint8Array, factor: number): void;
  /** See `enhance-ops.ts`. */
  contrast(img: Uint8Array, channels: number, factor: number): void;
  /** See `enhance-ops.ts`. */
  color(img: Uint8Array, channels: number, factor: number): void;
  /** See `enhance-ops.ts`. */
  sharpness(
    img: Uint8Array,
    height: number,
    width: number,
    channels: number,
    factor: number,
    scratch: Uint8Array,
  ): void;
  /** See `rotation-matrix.ts`. */
  rotationMatrix(degrees: number, width: number, height: number): number[];
  /** See `affine-transform.ts`. */
  affineTransform(
    src: Uint8Array,
    dst: Uint8Array,
    height: number,
    width: number,
    channels: number,
    matrix: ArrayLike<number>,
    fill: ArrayLike<number>,
    bicubic?: boolean,
  ): void;
}

/**
 * timm's `RandAugment.__call__` on one 8-bit HWC image, in place: picks `spec.numLayers` ops
 * (uniformly with replacement, or by the `w0` weights without), and applies each with
 * probability `spec.prob` at a magnitude drawn per application (gaussian noise `magnitudeStd`,
 * or uniform in [0, m]; clipped to [0, magnitudeMax]), mapped to the op's argument by timm's
 * `LEVEL_TO_ARG` (rotate ±30°, shear ±0.3, translate ±0.45 of the side, enhance factors
 * 0.1–1.9, posterize 4→0 bits, solarize threshold 256→0, solarize-add 0→110; a sign is drawn
 * where timm draws one). Geometric ops fill uncovered pixels with `fill` (timm's `img_mean`) and
 * resample per `spec.interpolation` (`random`: bilinear or bicubic per call, as timm's default).
 * `scratch` must hold at least `img.length` values. Returns the ops it applied, in order.
 * Self-contained (evaluated in worker threads too).
 */
export function randAugment(
  k: RandAugmentKernels,
  img: Uint8Array,
  height: number,
  width: number,
  channels: number,
  rng: Rng,
  spec: RandAugmentSpec,
  fill: ArrayLike<number>,
  scratch: Uint8Array,
): string[] {
  const count = spec.ops.length;
  const chosen: number[] = [];
  if (spec.weights) {
    // numpy's choice(replace=False, p): draw by the remaining weights, renormalized each time.
    const left = spec.weights.slice();
    for (let layer = 0; layer < spec.numLayers; layer++) {
      let total = 0;
      for (const w of left) total += w;
      let u = rng.next() * total;
      let pick = 0;
      while (pick < count - 1 && (u >= (left[pick] as number) || left[pick] === 0)) {
        u -= left[pick] as number;
        pick++;
      }
      // Rounding can run u past the last weight; fall back to the last op still available.
      while (pick > 0 && left[pick] === 0) pick--;
      left[pick] = 0;
      chosen.push(pick);
    }
  } else {
    for (let layer = 0; layer < spec.numLayers; layer++) chosen.push(Math.floor(rng.next() * count));
  }
  const applied: string[] = [];
  const negate = (v: number): number => (rng.next() > 0.5 ? -v : v);
  const transform = (matrix: number[]): void => {
    const bicubic = spec.interpolation === 'bicubic' || (spec.interpolation === 'random' && rng.next() < 0.5);
    k.affineTransform(img, scratch, height, width, channels, matrix, fill, bicubic);
    img.set(scratch.subarray(0, img.length));
  };
  for (const index of chosen) {
    if (spec.prob < 1 && rng.next() > spec.prob) continue;
    let magnitude = spec.magnitude;
    if (spec.uniformMagnitude) magnitude = rng.uniform(0, magnitude);
    else if (spec.magnitudeStd > 0) magnitude += spec.magnitudeStd * rng.normal();
    magnitude = Math.max(0, Math.min(magnitude, spec.magnitudeMax));
    const level = magnitude / 10;
    const name = spec.ops[index] as string;
    applied.push(name);
    switch (name) {
      case 'AutoContrast':
        k.autoContrast(img, channels);
        break;
      case 'Equalize':
        k.equalize(img, channels);
        break;
      case 'Invert':
        k.invert(img);
        break;
      case 'Rotate':
        transform(k.rotationMatrix(negate(level * 30), width, height));
        break;
      case 'Posterize':
        k.posterize(img, Math.trunc(level * 4));
        break;
      case 'PosterizeIncreasing':
        k.posterize(img, 4 - Math.trunc(level * 4));
        break;
      case 'Solarize':
        k.solarize(img, Math.trunc(level * 256));
        break;
      case 'SolarizeIncreasing':
        k.solarize(img, 256 - Math.trunc(level * 256));
        break;
      case 'SolarizeAdd':
        k.solarizeAdd(img, Math.trunc(level * 110), 128);
        break;
      case 'Color':
        k.color(img, channels, level * 1.8 + 0.1);
        break;
      case 'Contrast':
        k.contrast(img, channels, level * 1.8 + 0.1);
        break;
      case 'Brightness':
        k.brightness(img, level * 1.8 + 0.1);
        break;
      case 'Sharpness':
        k.sharpness(img, height, width, channels, level * 1.8 + 0.1, scratch);
        break;
      case 'ColorIncreasing':
        k.color(img, channels, Math.max(0.1, 1 + negate(level * 0.9)));
        break;
      case 'ContrastIncreasing':
        k.contrast(img, channels, Math.max(0.1, 1 + negate(level * 0.9)));
        break;
      case 'BrightnessIncreasing':
        k.brightness(img, Math.max(0.1, 1 + negate(level * 0.9)));
        break;
      case 'SharpnessIncreasing':
        k.sharpness(img, height, width, channels, Math.max(0.1, 1 + negate(level * 0.9)), scratch);
        break;
      case 'ShearX':
        transform([1, negate(level * 0.3), 0, 0, 1, 0]);
        break;
      case 'ShearY':
        transform([1, 0, 0, negate(level * 0.3), 1, 0]);
        break;
      case 'TranslateXRel':
        transform([1, 0, negate(level * 0.45) * width, 0, 1, 0]);
        break;
      case 'TranslateYRel':
        transform([1, 0, 0, 0, 1, negate(level * 0.45) * height]);
        break;
      default:
        throw new Error(`RandAugment op ${name} is not implemented`);
    }
  }
  return applied;
}
