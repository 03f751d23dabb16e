import { type ImageInput, MlopsError } from '@mlops/core';

/** Throws `MLOPS_ERR_DATA_INVALID` when `image` is not a well-formed HWC uint8 image. */
export function checkImage(image: ImageInput, index: number): void {
  const { width, height, channels, data } = image;
  const fail = (why: string): never => {
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `Image ${index}: ${why}`, {
      hint: 'Pass HWC uint8 pixels with 1, 3 or 4 channels (see decodeImageBytes).',
    });
  };
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1)
    fail(`invalid size ${width}×${height}`);
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) fail(`invalid channel count ${channels}`);
  if (!(data instanceof Uint8Array)) fail('data is not a Uint8Array');
  if (data.length !== width * height * channels) {
    fail(`has ${data.length} bytes, expected ${height}×${width}×${channels} = ${width * height * channels}`);
  }
}

/** Indices of the `k` largest values, largest first (ties: lower index first). */
export function topIndices(values: Float32Array, k: number): number[] {
  const order = Array.from(values.keys());
  order.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return order.slice(0, k);
}
