import type { Rng } from '../rng.js';
import type { AugmentParams } from './augment-params.js';
import type { RandAugmentKernels } from './rand-augment.js';
import type { RandAugmentSpec } from './rand-augment-spec.js';
import type { ErasingOptions } from './random-erasing.js';
import type { CropBox } from './random-resized-crop.js';

/** Shape of the images of a decoded split. */
export interface ImageShape {
  /** Height. */
  height: number;
  /** Width. */
  width: number;
  /** Channels. */
  channels: number;
}

/**
 * The functions {@link augmentBatch} calls, passed in rather than imported: in the main thread
 * they are the imported functions, in a worker thread the same functions re-created from their
 * source text (see `worker/augment-worker-source.ts`).
 */
export interface AugmentKernels extends RandAugmentKernels {
  /** See `rng.ts`. */
  createRng(seed: number, ...streams: number[]): Rng;
  /** See `random-resized-crop.ts`. */
  randomResizedCropBox(
    height: number,
    width: number,
    rng: Rng,
    scale: [number, number],
    ratio: [number, number],
  ): CropBox;
  /** See `random-resized-crop.ts`. */
  resizedCrop(
    src: ArrayLike<number>,
    srcOffset: number,
    height: number,
    width: number,
    channels: number,
    box: CropBox,
    dst: Float32Array,
  ): void;
  /** See `horizontal-flip.ts`. */
  horizontalFlip(img: Float32Array, height: number, width: number, channels: number): void;
  /** See `vertical-flip.ts`. */
  verticalFlip(img: Float32Array, height: number, width: number, channels: number): void;
  /** See `rand-augment.ts`. */
  randAugment(
    k: RandAugmentKernels,
    img: Uint8Array,
    height: number,
    width: number,
    channels: number,
    rng: Rng,
    spec: RandAugmentSpec,
    fill: ArrayLike<number>,
    scratch: Uint8Array,
  ): string[];
  /** See `color-jitter.ts`. */
  colorJitter(
    img: Float32Array,
    height: number,
    width: number,
    channels: number,
    rng: Rng,
    strength: number,
  ): void;
  /** See `grayscale.ts`. */
  grayscale(img: Float32Array, height: number, width: number, channels: number): void;
  /** See `gaussian-blur.ts`. */
  gaussianBlur(
    img: Float32Array,
    height: number,
    width: number,
    channels: number,
    sigma: number,
    scratch?: Float32Array,
  ): void;
  /** See `random-erasing.ts`. */
  randomErasing(
    img: Float32Array,
    height: number,
    width: number,
    channels: number,
    rng: Rng,
    options?: ErasingOptions,
  ): CropBox | undefined;
  /** See `normalize.ts`. */
  normalizeInPlace(img: Float32Array, channels: number, mean: number[], std: number[]): void;
}

/**
 * Augments the images at `indices` of `images` into `out` (one normalized float image after
 * another), in timm's order: random resized crop, horizontal flip, vertical flip, RandAugment,
 * color jitter, grayscale, gaussian blur, normalization, random erasing. RandAugment works on
 * 8-bit pixels like timm's PIL ops, so the crop's floats are rounded to bytes before it. Image
 * `index` of epoch `epoch` always gets the same augmentation — its generator is
 * `createRng(seed, 2, epoch, index)` — so the result does not depend on batching or on which
 * thread runs it. Self-contained (evaluated in
 * worker threads too).
 */
export function augmentBatch(
  k: AugmentKernels,
  images: Uint8Array,
  shape: ImageShape,
  params: AugmentParams,
  seed: number,
  epoch: number,
  indices: ArrayLike<number>,
  out: Float32Array,
): void {
  const { height: h, width: w, channels: c } = shape;
  const length = h * w * c;
  const scratch = new Float32Array(length);
  const ra = params.randAugment;
  const bytes = ra ? new Uint8Array(length) : undefined;
  const byteScratch = ra ? new Uint8Array(length) : undefined;
  const fill = params.fill ?? [128, 128, 128];
  for (let n = 0; n < indices.length; n++) {
    const index = indices[n] as number;
    const img = out.subarray(n * length, (n + 1) * length);
    const rng = k.createRng(seed, 2, epoch, index);
    const src = index * length;
    if (params.scale) {
      k.resizedCrop(images, src, h, w, c, k.randomResizedCropBox(h, w, rng, params.scale, params.ratio), img);
    } else {
      for (let i = 0; i < length; i++) img[i] = images[src + i] as number;
    }
    if (params.hflip > 0 && rng.next() < params.hflip) k.horizontalFlip(img, h, w, c);
    if (params.vflip > 0 && rng.next() < params.vflip) k.verticalFlip(img, h, w, c);
    if (ra && bytes && byteScratch) {
      for (let i = 0; i < length; i++) bytes[i] = Math.min(255, Math.max(0, Math.round(img[i] as number)));
      k.randAugment(k, bytes, h, w, c, rng, ra, fill, byteScratch);
      for (let i = 0; i < length; i++) img[i] = bytes[i] as number;
    }
    if (params.colorJitter > 0) k.colorJitter(img, h, w, c, rng, params.colorJitter);
    if (params.grayscale > 0 && rng.next() < params.grayscale) k.grayscale(img, h, w, c);
    if (params.gaussianBlur > 0 && rng.next() < params.gaussianBlur) {
      k.gaussianBlur(img, h, w, c, rng.uniform(params.blurSigma[0], params.blurSigma[1]), scratch);
    }
    k.normalizeInPlace(img, c, params.mean, params.std);
    if (params.randomErasing > 0 && rng.next() < params.randomErasing) k.randomErasing(img, h, w, c, rng);
  }
}
