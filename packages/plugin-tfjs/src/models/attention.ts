import * as tf from '@tensorflow/tfjs-core';
import { layers, type Shape } from '@tensorflow/tfjs-layers';

/** Constructor arguments of {@link MultiQueryAttention}. */
export interface MultiQueryAttentionArgs {
  /** Number of query heads. */
  numHeads: number;
  /** Channels per query head and of the (single, shared) key. */
  keyDim: number;
  /** Channels of the (single, shared) value, and per head of the output. */
  valueDim: number;
  /** Layer name (timm's module path, e.g. `blocks.2.4.attn`). */
  name?: string;
}

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

function knownDims(shape: Shape, what: string, layer: string): number[] {
  const dims = shape.slice(1);
  if (shape.length !== 4 || !dims.every((d): d is number => typeof d === 'number')) {
    throw new Error(`MultiQueryAttention ${layer}: ${what} must be [batch, H, W, C] with known sizes`);
  }
  return dims;
}

/**
 * The weight-free core of timm's `MultiQueryAttention2d` (MobileNetV4's mobile MQA): `numHeads`
 * query heads attend over one key and one value shared by all heads, scaled dot-product with
 * softmax over the key positions. The projections around it (query/key/value 1×1 convs, the
 * strided depthwise `down_conv` + BN on key and value, the output 1×1 conv) are ordinary conv and
 * BatchNormalization layers, so their weights map to timm's state dict like any other conv.
 *
 * Inputs `[q, k, v]`, NHWC: `q` `[B, H, W, numHeads·keyDim]` (channel `head·keyDim + i`, as timm's
 * reshape of its NCHW query), `k` `[B, h, w, keyDim]` and `v` `[B, h, w, valueDim]` (`h×w` may be
 * smaller than `H×W`: timm's `kv_stride`). Output `[B, H, W, numHeads·valueDim]`, channel
 * `head·valueDim + j`, which is what timm feeds its output projection:
 *
 *   attn = softmax((q · keyDim^-½) kᵀ) over the h·w key positions;  out = attn v.
 *
 * Every (pixel, head) pair is one query row of a single `[B, H·W·numHeads, keyDim]` matrix, so the
 * whole layer is two batched matrix products, a softmax and reshapes — no transpose — and
 * autograd differentiates it on every backend (cpu, wasm, webgl, webgpu). Registered with tfjs'
 * serialization as `MultiQueryAttention`, so saved models load back.
 */
export class MultiQueryAttention extends layers.Layer {
  /** Keras class name under which the layer is serialized. */
  static className = 'MultiQueryAttention';
  /** Number of query heads. */
  readonly numHeads: number;
  /** Channels of a query head and of the key. */
  readonly keyDim: number;
  /** Channels of the value (per head of the output). */
  readonly valueDim: number;

  /** Creates the layer; the sizes must be positive integers. */
  constructor(args: MultiQueryAttentionArgs & LayerArgs) {
    super(args);
    for (const key of ['numHeads', 'keyDim', 'valueDim'] as const) {
      const value = args[key];
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`MultiQueryAttention ${key} must be a positive integer, got ${value}`);
      }
    }
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim;
  }

  /** `[B, H, W, numHeads·valueDim]` from the query's spatial shape; checks the channel counts. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    if (!Array.isArray(inputShape[0]) || inputShape.length !== 3) {
      throw new Error(`MultiQueryAttention ${this.name} expects three inputs [q, k, v]`);
    }
    const [q, k, v] = inputShape as Shape[];
    const [h, w, qc] = knownDims(q as Shape, 'the query', this.name);
    const [kh, kw, kc] = knownDims(k as Shape, 'the key', this.name);
    const [vh, vw, vc] = knownDims(v as Shape, 'the value', this.name);
    if (qc !== this.numHeads * this.keyDim || kc !== this.keyDim || vc !== this.valueDim) {
      throw new Error(
        `MultiQueryAttention ${this.name}: channels q ${qc}, k ${kc}, v ${vc} do not fit numHeads ${this.numHeads}, keyDim ${this.keyDim}, valueDim ${this.valueDim}`,
      );
    }
    if (kh !== vh || kw !== vw) {
      throw new Error(`MultiQueryAttention ${this.name}: key ${kh}×${kw} and value ${vh}×${vw} differ`);
    }
    return [(q as Shape)[0] ?? null, h as number, w as number, this.numHeads * this.valueDim];
  }

  /** The attention itself (same in training and inference: timm's attention dropout is 0). */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    if (!Array.isArray(inputs) || inputs.length !== 3) {
      throw new Error(`MultiQueryAttention ${this.name} expects three inputs [q, k, v]`);
    }
    const [q, k, v] = inputs as [tf.Tensor, tf.Tensor, tf.Tensor];
    return tf.tidy(() => {
      const [batch, h, w] = q.shape as [number, number, number, number];
      const positions = (k.shape[1] as number) * (k.shape[2] as number);
      // Row (pixel·numHeads + head) of the query matrix is head `head` of that pixel.
      const queries = tf.mul(tf.reshape(q, [batch, h * w * this.numHeads, this.keyDim]), this.keyDim ** -0.5);
      const keys = tf.reshape(k, [batch, positions, this.keyDim]);
      const values = tf.reshape(v, [batch, positions, this.valueDim]);
      const attn = tf.softmax(tf.matMul(queries, keys, false, true));
      const out = tf.matMul(attn, values);
      return tf.reshape(out, [batch, h, w, this.numHeads * this.valueDim]);
    });
  }

  /** Serializable config (head count and dimensions plus the base layer fields). */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads, keyDim: this.keyDim, valueDim: this.valueDim };
  }
}

tf.serialization.registerClass(MultiQueryAttention);
