import * as tf from '@tensorflow/tfjs-core';
import { SUM_OF_SQUARES } from '../backend/wasm-kernels/optimizer-kernels.js';
import { CLIP_BY_GLOBAL_NORM, type ClipByGlobalNormAttrs } from '../backend/webgpu/kernel-names.js';
import { addMany } from './add-many.js';

/** Gradients after clipping, and the global norm measured before it. */
export interface ClippedGradients {
  /** Gradients, same keys as the input; new tensors owned by the caller. */
  grads: tf.NamedTensorMap;
  /** Global L2 norm of the input gradients (before clipping), owned by the caller. */
  norm: tf.Scalar;
}

/**
 * Global L2 norm of all gradients together: `sqrt(Σ_i ‖g_i‖²)`. On wasm one fused kernel (float64
 * sums); elsewhere summed with {@link addMany}, not one `tf.addN` over every layer, which WebGPU
 * cannot bind.
 */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => {
    const tensors = Object.values(grads);
    if (tensors.length > 0 && tf.getKernel(SUM_OF_SQUARES, tf.getBackend()) != null) {
      const sum = tf
        .engine()
        .runKernel(SUM_OF_SQUARES, tensors as unknown as tf.NamedTensorMap, {}) as tf.Tensor;
      return tf.sqrt(sum) as tf.Scalar;
    }
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    if (squares.length === 0) return tf.scalar(0);
    return tf.sqrt(addMany(squares)) as tf.Scalar;
  });
}

/**
 * Clips gradients by their global norm, as `torch.nn.utils.clip_grad_norm_` (timm's
 * `--clip-grad` with the default `norm` mode): every gradient is multiplied by
 * `min(1, maxNorm / (norm + 1e-6))`, so the direction is kept and only the length is capped.
 * `maxNorm <= 0` disables clipping (the gradients are returned as copies, the norm still measured).
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): ClippedGradients {
  return tf.tidy(() => {
    const entries = Object.entries(grads);
    if (maxNorm > 0 && entries.length > 0 && tf.getKernel(CLIP_BY_GLOBAL_NORM, tf.getBackend()) != null) {
      // Norm, coefficient and scaling fused (webgpu): a few dispatches for all gradients.
      const attrs: ClipByGlobalNormAttrs = { maxNorm };
      const [norm, ...clipped] = tf
        .engine()
        .runKernel(
          CLIP_BY_GLOBAL_NORM,
          entries.map(([, g]) => g) as unknown as tf.NamedTensorMap,
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
      return {
        grads: Object.fromEntries(entries.map(([k], i) => [k, clipped[i]!])),
        norm: norm as tf.Scalar,
      };
    }
    const norm = globalNorm(grads);
    if (!(maxNorm > 0)) return { grads: Object.fromEntries(entries.map(([k, g]) => [k, tf.clone(g)])), norm };
    const coefficient = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    return { grads: Object.fromEntries(entries.map(([k, g]) => [k, tf.mul(g, coefficient)])), norm };
  });
}
