import type { GraphBuilder } from '../../onnx/graph-builder.js';
import { materialize, type Value } from '../value.js';
import { type LayerConverter, pairOption, requireChannelsLast, soleInput, spatialPads } from './context.js';

/** Most negative float32: "minus infinity" that survives serialization and arithmetic. */
const LOWEST = -3.4028234663852886e38;

/**
 * The constant that restores zero padding folded into a MaxPool. onnxruntime fuses a zero Pad
 * into a following MaxPool as if its pads were −∞ (so a window of negatives over the border
 * yields a negative max, where TF yields 0); to stay exact we fold the pads ourselves and take
 * `Max(pool, C)` with `C = 0` for windows that touch zero padding and the lowest float elsewhere.
 */
function zeroPadMask(
  inner: [number, number],
  zero: [number, number, number, number],
  outer: [number, number, number, number],
  kernel: [number, number],
  strides: [number, number],
  out: [number, number],
): Float32Array {
  const [h, w] = inner;
  const mask = new Float32Array(out[0] * out[1]).fill(LOWEST);
  const top = outer[0] + zero[0];
  const left = outer[1] + zero[1];
  const isZeroPad = (y: number, x: number): boolean => {
    const inZeroBand = y >= outer[0] && y < top + h + zero[2] && x >= outer[1] && x < left + w + zero[3];
    const inImage = y >= top && y < top + h && x >= left && x < left + w;
    return inZeroBand && !inImage;
  };
  for (let oy = 0; oy < out[0]; oy++) {
    for (let ox = 0; ox < out[1]; ox++) {
      let touches = false;
      for (let ky = 0; ky < kernel[0] && !touches; ky++) {
        for (let kx = 0; kx < kernel[1] && !touches; kx++)
          touches = isZeroPad(oy * strides[0] + ky, ox * strides[1] + kx);
      }
      if (touches) mask[oy * out[1] + ox] = 0;
    }
  }
  return mask;
}

function poolOp(
  b: GraphBuilder,
  opType: string,
  base: string,
  x: string,
  kernel: number[],
  strides: number[],
  pads: number[],
  extra = {},
): string {
  return b.op(opType, base, [x], {
    kernel_shape: { ints: kernel },
    strides: { ints: strides },
    pads: { ints: pads },
    ...extra,
  });
}

function pool(opType: 'MaxPool' | 'AveragePool'): LayerConverter {
  return (ctx) => {
    const { b, layer } = ctx;
    requireChannelsLast(layer);
    let input: Value = soleInput(ctx);
    if (input.layout !== 'nchw') throw new Error(`layer ${layer.name} expects an image (rank-3) input`);
    const kernel = pairOption(layer, 'poolSize', 2);
    const strides = layer.config.strides == null ? kernel : pairOption(layer, 'strides', 1);
    const base = `${layer.name}/${opType === 'MaxPool' ? 'max_pool' : 'avg_pool'}`;
    // MaxPool ignores pads; AveragePool (count_include_pad = 0) leaves them out of the mean, as TF.
    const pads = spatialPads(layer, input, kernel, strides, [1, 1]);
    const zero = input.pendingPads;
    const [oh, ow] = layer.shape as [number, number, number];
    const total = pads.map((p, i) => p + (zero?.[i] ?? 0));
    // onnxruntime requires every pad to be smaller than the window; larger ones stay a Pad op.
    const fits = total.every((p, i) => p < (kernel[i % 2] as number));
    if (zero && fits && opType === 'MaxPool') {
      const [ph, pw] = input.shape as [number, number];
      const inner: [number, number] = [ph - zero[0] - zero[2], pw - zero[1] - zero[3]];
      const raw = { ...input, pendingPads: undefined } as Value;
      const pooled = poolOp(b, opType, `${base}_raw`, raw.name, kernel, strides, total);
      const mask = zeroPadMask(inner, zero, pads, kernel, strides, [oh, ow]);
      const name = b.op('Max', base, [pooled, b.constant(`${layer.name}/zero_pad_mask`, [1, oh, ow], mask)]);
      return { name, shape: layer.shape, layout: 'nchw' };
    }
    if (zero && fits && opType === 'AveragePool' && pads.every((p) => p === 0)) {
      // Zero padding counts in the mean: fold it with count_include_pad = 1.
      const raw = { ...input, pendingPads: undefined } as Value;
      const name = poolOp(b, opType, base, raw.name, kernel, strides, zero, { count_include_pad: { i: 1 } });
      return { name, shape: layer.shape, layout: 'nchw' };
    }
    input = materialize(b, input, layer.name);
    if (zero) {
      // A Pad op right before a pool is fused by onnxruntime into the pool's (−∞ / excluded)
      // pads, which is wrong for zeros and fails for pads as large as the window. An identity
      // Max(x, lowest) between them keeps the Pad a Pad.
      const lowest = b.constant(`${layer.name}/lowest`, [], Float32Array.of(LOWEST));
      input = { ...input, name: b.op('Max', `${layer.name}/keep_pad`, [input.name, lowest]) };
    }
    const name = poolOp(b, opType, base, input.name, kernel, strides, pads);
    return { name, shape: layer.shape, layout: 'nchw' };
  };
}

/** `MaxPooling2D` (a preceding ZeroPadding2D folded in exactly). */
export const convertMaxPooling2D: LayerConverter = pool('MaxPool');

/** `AveragePooling2D`. */
export const convertAveragePooling2D: LayerConverter = pool('AveragePool');

function globalPool(opType: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter {
  return (ctx) => {
    const { b, layer } = ctx;
    requireChannelsLast(layer);
    const input = materialize(b, soleInput(ctx), layer.name);
    if (input.layout !== 'nchw') throw new Error(`layer ${layer.name} expects an image (rank-3) input`);
    const pooled = b.op(opType, `${layer.name}/pool`, [input.name]);
    if (layer.shape.length === 3) return { name: pooled, shape: layer.shape, layout: 'nchw' };
    const flat = b.op('Flatten', `${layer.name}/flatten`, [pooled], { axis: { i: 1 } });
    return { name: flat, shape: layer.shape, layout: 'keras' };
  };
}

/** `GlobalAveragePooling2D`. */
export const convertGlobalAveragePooling2D: LayerConverter = globalPool('GlobalAveragePool');

/** `GlobalMaxPooling2D`. */
export const convertGlobalMaxPooling2D: LayerConverter = globalPool('GlobalMaxPool');
