import type { TensorRange } from './calibrate.js';

/** Scale and zero point of an asymmetric uint8 activation quantization. */
export interface Uint8Params {
  /** Real value of one step. */
  scale: number;
  /** The uint8 that represents 0. */
  zeroPoint: number;
}

/**
 * uint8 parameters covering `range` and 0 (so zero padding and ReLU outputs are exact): the range
 * is widened to include 0, split into 255 steps, and 0 lands on an integer zero point.
 */
export function uint8Params(range: TensorRange): Uint8Params {
  const min = Math.min(0, range.min);
  const max = Math.max(0, range.max);
  if (!(max > min)) return { scale: 1, zeroPoint: 0 };
  const scale = (max - min) / 255;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-min / scale)));
  return { scale, zeroPoint };
}

/** Symmetric per-channel int8 weights: values in [-127, 127] and one scale per output channel. */
export interface Int8Weights {
  /** Quantized values, same layout as the float weights. */
  values: Int8Array;
  /** Scale per channel of axis 0. */
  scales: Float32Array;
}

/** Quantizes weights `[channels, ...]` per channel (axis 0) to symmetric int8. */
export function quantizeWeightsPerChannel(weights: Float32Array, channels: number): Int8Weights {
  const per = weights.length / channels;
  const values = new Int8Array(weights.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let maxAbs = 0;
    for (let k = 0; k < per; k++) maxAbs = Math.max(maxAbs, Math.abs(weights[c * per + k] as number));
    const scale = maxAbs > 0 ? maxAbs / 127 : 1;
    scales[c] = scale;
    for (let k = 0; k < per; k++) {
      const q = Math.round((weights[c * per + k] as number) / scale);
      values[c * per + k] = Math.max(-127, Math.min(127, q));
    }
  }
  return { values, scales };
}

/** Quantizes a bias to int32 with per-channel scale `inputScale · weightScale[c]` (zero point 0). */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(bias.length);
  const values = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const scale = inputScale * (weightScales[c] as number);
    scales[c] = scale;
    values[c] = Math.round((bias[c] as number) / scale);
  }
  return { values, scales };
}
