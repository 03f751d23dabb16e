import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';

/** A hard-swish layer as MobileNetV3-style models define it: `x · relu6(x + 3) / 6`. */
export class HardSwish extends layers.Layer {
  static readonly className = 'HardSwish';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    });
  }
}
tf.serialization.registerClass(HardSwish);
