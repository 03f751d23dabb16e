import { weightOf } from '../keras-graph.js';
import { materialize } from '../value.js';
import { applyActivation } from './activation.js';
import { batchNormAffine, requireChannelAxis } from './batch-norm.js';
import {
  type ConvertContext,
  type LayerConverter,
  pairOption,
  requireChannelsLast,
  soleInput,
  spatialPads,
} from './context.js';

/**
 * Keras kernel `[kh, kw, in, out]` → ONNX `[out, in, kh, kw]`. For a depthwise kernel
 * `[kh, kw, in, multiplier]` → `[in · multiplier, 1, kh, kw]`, output channel `c · m + j` as Keras.
 */
function onnxKernel(
  kernel: Float32Array,
  shape: number[],
  depthwise: boolean,
): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const data = new Float32Array(kernel.length);
  const outChannels = depthwise ? cin * cout : cout;
  const inPerGroup = depthwise ? 1 : cin;
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) {
          const src = ((y * kw + x) * cin + i) * cout + o;
          const [oc, ic] = depthwise ? [i * cout + o, 0] : [o, i];
          data[((oc * inPerGroup + ic) * kh + y) * kw + x] = kernel[src] as number;
        }
      }
    }
  }
  return { data, dims: [outChannels, inPerGroup, kh, kw] };
}

/** Conv2D and DepthwiseConv2D, with a following BatchNormalization and ZeroPadding2D folded in. */
function convertConv(ctx: ConvertContext, depthwise: boolean): ReturnType<LayerConverter> {
  const { b, layer } = ctx;
  requireChannelsLast(layer);
  const input = soleInput(ctx);
  if (input.layout !== 'nchw') throw new Error(`layer ${layer.name} expects an image (rank-3) input`);
  const weights = layer.weights();
  const kernelWeight = weightOf(weights, depthwise ? 'depthwise_kernel' : 'kernel', layer.name);
  const kernelSize = pairOption(layer, 'kernelSize', 1);
  const strides = pairOption(layer, 'strides', 1);
  const dilation = pairOption(layer, 'dilationRate', 1);
  const { data, dims } = onnxKernel(kernelWeight.data, kernelWeight.shape, depthwise);
  const outChannels = dims[0] as number;
  const bias = new Float32Array(outChannels);
  if (layer.config.useBias !== false) bias.set(weightOf(weights, 'bias', layer.name).data);
  if (ctx.foldedNorm) {
    requireChannelAxis(ctx.foldedNorm, 3);
    const { scale, shift } = batchNormAffine(ctx.foldedNorm);
    const perChannel = data.length / outChannels;
    for (let o = 0; o < outChannels; o++) {
      const s = scale[o] as number;
      for (let k = 0; k < perChannel; k++)
        data[o * perChannel + k] = (data[o * perChannel + k] as number) * s;
      bias[o] = (bias[o] as number) * s + (shift[o] as number);
    }
  }
  // A ZeroPadding2D right before the conv becomes part of the conv's pads.
  const pads = spatialPads(layer, input, kernelSize, strides, dilation);
  const extra = input.pendingPads ?? [0, 0, 0, 0];
  const allPads = pads.map((p, i) => p + (extra[i] as number));
  const x = materialize(b, { ...input, pendingPads: undefined } as typeof input, layer.name);
  const base = ctx.foldedNorm ? ctx.foldedNorm.name : layer.name;
  const conv = b.op(
    'Conv',
    `${base}/conv`,
    [x.name, b.constant(`${layer.name}/W`, dims, data), b.constant(`${layer.name}/B`, [outChannels], bias)],
    {
      kernel_shape: { ints: kernelSize },
      strides: { ints: strides },
      dilations: { ints: dilation },
      pads: { ints: [allPads[0], allPads[1], allPads[2], allPads[3]] as number[] },
      group: { i: depthwise ? (input.shape[2] as number) : 1 },
    },
  );
  const out = { name: conv, shape: ctx.layer.shape, layout: 'nchw' as const };
  return applyActivation(b, layer.name, layer.config.activation, out);
}

/** `Conv2D`. */
export const convertConv2D: LayerConverter = (ctx) => convertConv(ctx, false);

/** `DepthwiseConv2D`. */
export const convertDepthwiseConv2D: LayerConverter = (ctx) => convertConv(ctx, true);
