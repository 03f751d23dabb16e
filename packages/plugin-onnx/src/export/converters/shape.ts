import { fromKerasLayout, materialize, shapeConstant, toKerasLayout, type Value } from '../value.js';
import { type LayerConverter, requireChannelsLast, soleInput } from './context.js';

/** Dropout and noise layers are the identity at inference. */
export const convertIdentity: LayerConverter = (ctx) => soleInput(ctx);

/**
 * `Flatten`. Of an NCHW image with more than one pixel, it flattens in C,H,W order and marks the
 * result, when every reader is a Dense (which permutes its kernel rows); other readers get the
 * Keras H,W,C order through one Transpose.
 */
export const convertFlatten: LayerConverter = (ctx) => {
  const { b, layer } = ctx;
  const input = materialize(b, soleInput(ctx), layer.name);
  const size = layer.shape.reduce((x, y) => x * y, 1);
  if (input.layout !== 'nchw') {
    const name = b.op('Flatten', `${layer.name}/flatten`, [input.name], { axis: { i: 1 } });
    return { name, shape: [size], layout: 'keras' };
  }
  const [h, w, c] = input.shape as [number, number, number];
  const allDense = ctx.consumers.length > 0 && ctx.consumers.every((l) => l.className === 'Dense');
  if (h * w === 1 || allDense) {
    const name = b.op('Flatten', `${layer.name}/flatten`, [input.name], { axis: { i: 1 } });
    return { name, shape: [size], layout: 'keras', ...(h * w === 1 ? {} : { flattenedFrom: [c, h, w] }) };
  }
  const nhwc = toKerasLayout(b, input, layer.name);
  return {
    name: b.op('Flatten', `${layer.name}/flatten`, [nhwc], { axis: { i: 1 } }),
    shape: [size],
    layout: 'keras',
  };
};

/**
 * `Reshape`. A vector to a 1×1 image (the pooled-conv head) or an image with one pixel to a vector
 * is a plain Reshape in NCHW; anything else goes through the Keras (NHWC) layout.
 */
export const convertReshape: LayerConverter = (ctx) => {
  const { b, layer } = ctx;
  const input = materialize(b, soleInput(ctx), layer.name);
  const target = layer.shape;
  const onePixel = (s: number[]) => s.length === 3 && s[0] === 1 && s[1] === 1;
  if (input.shape.length === 1 && onePixel(target)) {
    const shape = shapeConstant(b, `${layer.name}/shape`, [-1, target[2] as number, 1, 1]);
    return {
      name: b.op('Reshape', `${layer.name}/reshape`, [input.name, shape]),
      shape: target,
      layout: 'nchw',
    };
  }
  if (onePixel(input.shape) && target.length === 1) {
    const name = b.op('Flatten', `${layer.name}/flatten`, [input.name], { axis: { i: 1 } });
    return { name, shape: target, layout: 'keras' };
  }
  const keras = toKerasLayout(b, input, layer.name);
  const shape = shapeConstant(b, `${layer.name}/shape`, [-1, ...target]);
  const reshaped = b.op('Reshape', `${layer.name}/reshape`, [keras, shape]);
  return fromKerasLayout(b, reshaped, target, layer.name);
};

const FOLDS_PADDING = new Set(['Conv2D', 'DepthwiseConv2D', 'MaxPooling2D', 'AveragePooling2D']);

/** `ZeroPadding2D`: pads are recorded on the value; a following conv folds them, others emit Pad. */
export const convertZeroPadding2D: LayerConverter = (ctx) => {
  const { layer } = ctx;
  requireChannelsLast(layer);
  const input = materialize(ctx.b, soleInput(ctx), layer.name);
  const padding = layer.config.padding;
  let pads: [number, number, number, number];
  if (typeof padding === 'number') pads = [padding, padding, padding, padding];
  else if (Array.isArray(padding) && padding.every((p) => typeof p === 'number')) {
    const [ph, pw] = padding as [number, number];
    pads = [ph, pw, ph, pw];
  } else if (Array.isArray(padding) && padding.every((p) => Array.isArray(p))) {
    const [[top, bottom], [left, right]] = padding as [[number, number], [number, number]];
    pads = [top, left, bottom, right];
  } else throw new Error(`layer ${layer.name}: padding ${JSON.stringify(padding)} is not understood`);
  const value: Value = { ...input, shape: layer.shape, pendingPads: pads };
  // Convs and pools fold the pads into their own; anything else gets a Pad op.
  const foldable = ctx.consumers.every((l) => FOLDS_PADDING.has(l.className));
  return foldable && ctx.consumers.length > 0 ? value : materialize(ctx.b, value, layer.name);
};

/** `Rescaling`: `x · scale + offset` (a normalization layer inside the model). */
export const convertRescaling: LayerConverter = (ctx) => {
  const { b, layer } = ctx;
  const input = materialize(b, soleInput(ctx), layer.name);
  const scale = Number(layer.config.scale ?? 1);
  const offset = Number(layer.config.offset ?? 0);
  const mul = b.op('Mul', `${layer.name}/scale`, [
    input.name,
    b.constant(`${layer.name}/scale_c`, [], Float32Array.of(scale)),
  ]);
  const add = b.op('Add', `${layer.name}/offset`, [
    mul,
    b.constant(`${layer.name}/offset_c`, [], Float32Array.of(offset)),
  ]);
  return { ...input, name: add };
};
