import { layers, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { convInitializer, type Initializer } from './initializers.js';

/** BatchNorm settings matching PyTorch defaults (eps 1e-5, momentum 0.1 ⇒ Keras momentum 0.9). */
export const BATCH_NORM = { epsilon: 1e-5, momentum: 0.9 } as const;

interface ApplicableLayer {
  apply(inputs: SymbolicTensor | SymbolicTensor[]): unknown;
}

/** Applies a layer in the functional API and narrows the result to a single symbolic tensor. */
export function applyLayer(layer: ApplicableLayer, input: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  const output = layer.apply(input);
  if (!(output instanceof SymbolicTensor)) {
    throw new Error('Expected a layer to produce exactly one symbolic tensor');
  }
  return output;
}

/** Channel count (last axis) of an NHWC symbolic tensor. */
export function channelsOf(x: SymbolicTensor): number {
  const channels = x.shape[x.shape.length - 1];
  if (typeof channels !== 'number') throw new Error(`Unknown channel count in shape [${x.shape.join(', ')}]`);
  return channels;
}

/** Parameters of one convolution followed by BatchNorm and an optional ReLU. */
export interface ConvBnParams {
  /** Layer name of the convolution; padding gets `<convName>.pad`. */
  readonly convName: string;
  /** Layer name of the BatchNorm; the ReLU gets `<bnName>.act` (timm fuses act into its norm). */
  readonly bnName: string;
  readonly kernel: number;
  readonly stride: number;
  /** Output channels of a regular conv; `'depthwise'` for a depthwise conv (multiplier 1). */
  readonly filters: number | 'depthwise';
  readonly relu: boolean;
  readonly seed: number | undefined;
  /** Kernel initializer; default {@link convInitializer} (timm's `_init_weight_goog`). */
  readonly initializer?: Initializer;
}

/**
 * Conv (no bias: BN follows) → BatchNorm → optional ReLU.
 *
 * Padding follows timm/PyTorch: symmetric `(k - 1) / 2` on each side. For stride 1 that equals
 * tfjs 'same'; for stride > 1 tfjs 'same' pads asymmetrically (bottom/right only) on even inputs,
 * which shifts features by a pixel versus timm, so we pad explicitly and convolve 'valid'. Output
 * sizes are `ceil(n / stride)` either way, so tiny inputs (1×1 maps) still work.
 */
export function convBn(x: SymbolicTensor, p: ConvBnParams): SymbolicTensor {
  const pad = (p.kernel - 1) / 2;
  let padding: 'same' | 'valid' = 'same';
  if (p.stride > 1) {
    padding = 'valid';
    if (pad > 0) {
      x = applyLayer(
        layers.zeroPadding2d({
          padding: [
            [pad, pad],
            [pad, pad],
          ],
          name: `${p.convName}.pad`,
        }),
        x,
      );
    }
  }
  const init = p.initializer ?? convInitializer(p.seed, p.convName);
  const common = { kernelSize: p.kernel, strides: p.stride, padding, useBias: false, name: p.convName };
  const conv =
    p.filters === 'depthwise'
      ? layers.depthwiseConv2d({ ...common, depthMultiplier: 1, depthwiseInitializer: init })
      : layers.conv2d({ ...common, filters: p.filters, kernelInitializer: init });
  x = applyLayer(conv, x);
  x = applyLayer(layers.batchNormalization({ ...BATCH_NORM, name: p.bnName }), x);
  return p.relu ? applyLayer(layers.reLU({ name: `${p.bnName}.act` }), x) : x;
}

/** Parameters of a plain 1×1 convolution (no BatchNorm, no activation). */
export interface PointwiseConvParams {
  /** Layer name (timm's module path, e.g. `blocks.2.4.attn.query.proj`). */
  readonly name: string;
  readonly filters: number;
  /** Kernel initializer; default {@link convInitializer}. */
  readonly initializer?: Initializer;
  readonly seed: number | undefined;
}

/** A bias-free 1×1 convolution, as timm's attention projections (`create_conv2d(..., 1)`). */
export function pointwiseConv(x: SymbolicTensor, p: PointwiseConvParams): SymbolicTensor {
  const conv = layers.conv2d({
    filters: p.filters,
    kernelSize: 1,
    useBias: false,
    name: p.name,
    kernelInitializer: p.initializer ?? convInitializer(p.seed, p.name),
  });
  return applyLayer(conv, x);
}
