import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers, type Shape } from '@tensorflow/tfjs-layers';

/** Constructor arguments of {@link LayerScale}. */
export interface LayerScaleArgs {
  /** Initial value of every `gamma` entry (timm's `layer_scale_init_value`, 1e-5 in MobileNetV4). */
  initValue: number;
  /** Layer name (timm's module path, e.g. `blocks.2.0.layer_scale`). */
  name?: string;
}

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

/**
 * Per-channel scale of a block's output, as timm's `LayerScale2d`: `x · gamma` with one trainable
 * `gamma` per channel (the last axis, NHWC), initialised to a small constant so that a new
 * residual branch starts close to the identity. Its weight is named `gamma`, which is also timm's
 * parameter name (`<block>.layer_scale.gamma`), so checkpoints load by name.
 *
 * Written with tfjs ops in `call`, so autograd gives its gradients on every backend; registered
 * with tfjs' serialization as `LayerScale`, so saved models load back.
 */
export class LayerScale extends layers.Layer {
  /** Keras class name under which the layer is serialized. */
  static className = 'LayerScale';
  /** Initial value of `gamma`. */
  readonly initValue: number;

  /** Creates the layer; `initValue` must be finite. */
  constructor(args: LayerScaleArgs & LayerArgs) {
    super(args);
    if (!Number.isFinite(args.initValue)) {
      throw new Error(`LayerScale initValue must be a finite number, got ${args.initValue}`);
    }
    this.initValue = args.initValue;
  }

  /** Creates `gamma`, one entry per channel of the input's last axis. */
  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const channels = shape[shape.length - 1];
    if (typeof channels !== 'number') {
      throw new Error(`LayerScale ${this.name} needs a known channel count, got [${shape.join(', ')}]`);
    }
    this.addWeight('gamma', [channels], 'float32', initializers.constant({ value: this.initValue }));
    this.built = true;
  }

  /** Same shape in as out. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  /** `x · gamma`, broadcast over every axis but the last. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!x || (Array.isArray(inputs) && inputs.length !== 1)) {
      throw new Error(`LayerScale ${this.name} expects exactly one input tensor`);
    }
    const gamma = this.weights[0];
    if (!gamma) throw new Error(`LayerScale ${this.name} is not built`);
    return tf.mul(x, gamma.read());
  }

  /** Serializable config (the initial value plus the base layer fields). */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), initValue: this.initValue };
  }
}

tf.serialization.registerClass(LayerScale);
