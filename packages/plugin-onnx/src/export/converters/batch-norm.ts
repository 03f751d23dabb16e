import { type KerasLayer, weightOf } from '../keras-graph.js';
import { materialize, onnxAxis } from '../value.js';
import { type LayerConverter, numberOption, soleInput } from './context.js';

/** Inference-mode BatchNormalization as a per-channel `scale · x + shift`. */
export interface ChannelAffine {
  /** Multiplier per channel. */
  scale: Float32Array;
  /** Offset per channel. */
  shift: Float32Array;
}

/** Checks that a BatchNormalization normalizes the channel (last) axis. */
export function requireChannelAxis(layer: KerasLayer, rank: number): void {
  const axis = layer.config.axis;
  const last = Array.isArray(axis) ? axis[0] : axis;
  if (last !== -1 && last !== rank) {
    throw new Error(
      `layer ${layer.name}: BatchNormalization over axis ${JSON.stringify(axis)} is not supported (only the channel axis, -1)`,
    );
  }
}

/**
 * The affine map of an inference-mode BatchNormalization: `γ / √(σ² + ε)` and
 * `β − μ · γ / √(σ² + ε)`, computed in float64 so folding adds no error of its own.
 */
export function batchNormAffine(layer: KerasLayer): ChannelAffine {
  const weights = layer.weights();
  const mean = weightOf(weights, 'moving_mean', layer.name).data;
  const variance = weightOf(weights, 'moving_variance', layer.name).data;
  const gamma = layer.config.scale === false ? undefined : weightOf(weights, 'gamma', layer.name).data;
  const beta = layer.config.center === false ? undefined : weightOf(weights, 'beta', layer.name).data;
  const epsilon = numberOption(layer, 'epsilon', 1e-3);
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    const s = (gamma?.[c] ?? 1) / Math.sqrt((variance[c] as number) + epsilon);
    scale[c] = s;
    shift[c] = (beta?.[c] ?? 0) - (mean[c] as number) * s;
  }
  return { scale, shift };
}

/**
 * A BatchNormalization not folded into a preceding conv/dense (e.g. right after the input or an
 * Add): one `Mul` + `Add` with per-channel constants broadcast over the spatial axes.
 */
export const convertBatchNormalization: LayerConverter = (ctx) => {
  const { b, layer } = ctx;
  const input = materialize(b, soleInput(ctx), layer.name);
  requireChannelAxis(layer, input.shape.length);
  const { scale, shift } = batchNormAffine(layer);
  const channelAxis = onnxAxis(input, -1);
  const rank = input.shape.length + 1;
  // Broadcast shape: channels on the channel axis, 1 elsewhere (batch axis dropped).
  const dims = Array.from({ length: rank - 1 }, (_, i) => (i + 1 === channelAxis ? scale.length : 1));
  const mul = b.op('Mul', `${layer.name}/scale`, [
    input.name,
    b.constant(`${layer.name}/scale_c`, dims, scale),
  ]);
  const add = b.op('Add', `${layer.name}/shift`, [mul, b.constant(`${layer.name}/shift_c`, dims, shift)]);
  return { ...input, name: add };
};
