import * as tf from '@tensorflow/tfjs-core';
import { layers, type Shape } from '@tensorflow/tfjs-layers';

/** Constructor arguments of {@link DropPath}. */
export interface DropPathArgs {
  /** Probability of dropping a sample's residual branch, in [0, 1). */
  rate: number;
  /** Layer name (timm's module path, e.g. `blocks.2.1.drop_path`). */
  name?: string;
}

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

/**
 * Stochastic depth, as timm's `DropPath`: in training, each sample's residual branch is zeroed
 * with probability `rate` and the kept ones are scaled by `1 / (1 − rate)` (so the expected output
 * is unchanged); in inference it is the identity. Apply it to the residual branch just before the
 * add, as timm's blocks do (`x = drop_path(x) + shortcut`).
 *
 * The per-sample mask is drawn afresh on every training call with `tf.randomUniform` and no fixed
 * seed, so it comes from `Math.random()` — which the trainer replaces, for each synchronous
 * training step, by a generator seeded from `(train.seed, global step)` (see `seeded-random`):
 * masks differ from step to step and layer to layer, yet a rerun or resumed run draws the same
 * ones. Gradients flow through the kept samples (the mask is a constant of the step).
 *
 * Registered with tfjs' serialization as `DropPath`, so saved models load back; exporters treat
 * it as the identity (its inference behaviour).
 */
export class DropPath extends layers.Layer {
  /** Keras class name under which the layer is serialized. */
  static className = 'DropPath';
  /** Drop probability of a sample's branch. */
  readonly rate: number;

  /** Creates the layer; `rate` must be in [0, 1). */
  constructor(args: DropPathArgs & LayerArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new Error(`DropPath rate must be in [0, 1), got ${args.rate}`);
    }
    this.rate = args.rate;
    this.supportsMasking = true;
  }

  /** Same shape in as out. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  /** Drops whole samples of the input in training (`kwargs.training`), else returns it unchanged. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!x || (Array.isArray(inputs) && inputs.length !== 1)) {
      throw new Error(`DropPath ${this.name} expects exactly one input tensor`);
    }
    if (kwargs.training !== true || this.rate === 0) return x;
    return tf.tidy(() => {
      const keep = 1 - this.rate;
      const batch = x.shape[0] ?? 1;
      const maskShape = [batch, ...x.shape.slice(1).map(() => 1)];
      // floor(u + keep) is 1 with probability keep: timm's bernoulli_(keep_prob).
      const mask = tf.floor(tf.add(tf.randomUniform(maskShape, 0, 1, 'float32'), keep));
      return tf.mul(x, tf.div(mask, keep));
    });
  }

  /** Serializable config (the rate plus the base layer fields). */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}

tf.serialization.registerClass(DropPath);

/**
 * Drop-path rate of block `blockIndex` (0-based, counted over the whole network) of
 * `totalBlocks`, as timm's `EfficientNetBuilder` assigns it: `maxRate · blockIndex / totalBlocks`,
 * rising linearly from 0 at the first block (so the last block gets slightly less than `maxRate`).
 */
export function dropPathRate(maxRate: number, blockIndex: number, totalBlocks: number): number {
  if (totalBlocks <= 0) return 0;
  return (maxRate * blockIndex) / totalBlocks;
}
