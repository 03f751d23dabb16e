import * as tf from '@tensorflow/tfjs-core';

/**
 * Inputs per `AddN` call. tfjs-backend-webgpu compiles one shader binding every input as a storage
 * buffer, and WebGPU's default limit is 8 storage buffers per shader stage: an `addN` over 17 or
 * 141 gradient norms (small_cnn, MobileNetV4) was rejected by Dawn's validation on an H200, and the
 * command buffer holding it was dropped. 4 inputs + the output stay within any adapter's limits.
 */
export const MAX_ADDN_INPUTS = 4;

/**
 * Element-wise sum of many same-shaped tensors, as `tf.addN`, but in groups of at most
 * {@link MAX_ADDN_INPUTS} so that every backend can run it. Returns a new tensor.
 */
export function addMany(tensors: readonly tf.Tensor[]): tf.Tensor {
  if (tensors.length === 0) throw new Error('addMany needs at least one tensor');
  return tf.tidy(() => {
    let level: tf.Tensor[] = [...tensors];
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += MAX_ADDN_INPUTS) {
        const group = level.slice(i, i + MAX_ADDN_INPUTS);
        next.push(group.length === 1 ? group[0]! : tf.addN(group));
      }
      level = next;
    }
    return tf.clone(level[0]!);
  });
}
