import type { io } from '@tensorflow/tfjs-core';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/**
 * Bytes the given weight specs occupy in a weights file, or `undefined` when that cannot be known
 * up front (string tensors are length-prefixed, so their size lives only in the data).
 */
export function expectedWeightBytes(specs: readonly io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const perElement = spec.quantization ? QUANTIZED_BYTES[spec.quantization.dtype] : DTYPE_BYTES[spec.dtype];
    if (perElement === undefined) return undefined;
    total += spec.shape.reduce((a, b) => a * b, 1) * perElement;
  }
  return total;
}
