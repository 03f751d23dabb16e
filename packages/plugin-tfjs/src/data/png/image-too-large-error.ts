/**
 * Default pixel limit of decoding for serving: 40 megapixels (e.g. 8000×5000), the same as the
 * inference server's `maxPixels`.
 */
export const DEFAULT_DECODE_MAX_PIXELS = 40_000_000;

/**
 * sharp's own default `limitInputPixels` (0x3FFF²): the limit of decoding training data, where
 * large photos are legitimate but a header claiming gigapixels is not.
 */
export const SHARP_DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

/** An image whose header claims more pixels than the decoder's limit; thrown before any allocation. */
export class ImageTooLargeError extends Error {
  override readonly name = 'ImageTooLargeError';

  /**
   * @param width claimed width, when known
   * @param height claimed height, when known
   * @param maxPixels the limit it exceeds
   */
  constructor(
    readonly width: number | undefined,
    readonly height: number | undefined,
    readonly maxPixels: number,
  ) {
    const size =
      width !== undefined && height !== undefined
        ? `${width}×${height} (${width * height} pixels)`
        : 'larger than the limit';
    super(`image is ${size}; at most ${maxPixels} pixels are decoded`);
  }
}
