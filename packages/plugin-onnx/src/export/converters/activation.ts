import type { GraphBuilder } from '../../onnx/graph-builder.js';
import { materialize, onnxAxis, type Value } from '../value.js';
import { type ConvertContext, type LayerConverter, numberOption, soleInput } from './context.js';

function scalar(b: GraphBuilder, base: string, value: number): string {
  return b.constant(base, [], Float32Array.of(value));
}

/** `Clip(x, min, max)` (opset 13 takes the bounds as inputs). */
export function clip(b: GraphBuilder, base: string, x: string, min: number, max: number): string {
  return b.op('Clip', base, [x, scalar(b, `${base}/min`, min), scalar(b, `${base}/max`, max)]);
}

/** Keras/tfjs activation names (both spellings) → a function emitting it. */
const ACTIVATIONS: Record<string, (b: GraphBuilder, base: string, x: string, value: Value) => string> = {
  relu: (b, base, x) => b.op('Relu', base, [x]),
  relu6: (b, base, x) => clip(b, base, x, 0, 6),
  sigmoid: (b, base, x) => b.op('Sigmoid', base, [x]),
  tanh: (b, base, x) => b.op('Tanh', base, [x]),
  elu: (b, base, x) => b.op('Elu', base, [x], { alpha: { f: 1 } }),
  selu: (b, base, x) => b.op('Selu', base, [x]),
  softplus: (b, base, x) => b.op('Softplus', base, [x]),
  softsign: (b, base, x) => b.op('Softsign', base, [x]),
  // tfjs: clip(0.2x + 0.5, 0, 1)
  hard_sigmoid: (b, base, x) => b.op('HardSigmoid', base, [x], { alpha: { f: 0.2 }, beta: { f: 0.5 } }),
  swish: (b, base, x) => b.op('Mul', base, [x, b.op('Sigmoid', `${base}/sigmoid`, [x])]),
  // x · relu6(x + 3) / 6 = x · HardSigmoid(α = 1/6, β = 0.5)(x); HardSwish itself needs opset 14.
  hard_swish: (b, base, x) =>
    b.op('Mul', base, [
      x,
      b.op('HardSigmoid', `${base}/gate`, [x], { alpha: { f: 1 / 6 }, beta: { f: 0.5 } }),
    ]),
  mish: (b, base, x) =>
    b.op('Mul', base, [x, b.op('Tanh', `${base}/tanh`, [b.op('Softplus', `${base}/softplus`, [x])])]),
  softmax: (b, base, x, value) => b.op('Softmax', base, [x], { axis: { i: onnxAxis(value, -1) } }),
};

const ALIASES: Record<string, string> = {
  hardSigmoid: 'hard_sigmoid',
  hardSwish: 'hard_swish',
  hardswish: 'hard_swish',
};

/** Activation names the exporter maps (Keras spelling). */
export const SUPPORTED_ACTIVATIONS: readonly string[] = ['linear', ...Object.keys(ACTIVATIONS)];

/** Applies a named activation (`linear` or absent: none) to a value. */
export function applyActivation(b: GraphBuilder, base: string, activation: unknown, value: Value): Value {
  if (activation === undefined || activation === null || activation === 'linear') return value;
  const name = typeof activation === 'string' ? (ALIASES[activation] ?? activation) : '';
  const emit = ACTIVATIONS[name];
  if (!emit) {
    throw new Error(
      `activation ${JSON.stringify(activation)} is not supported (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`,
    );
  }
  const plain = name === 'softmax' ? materialize(b, value, base) : value;
  return { ...plain, name: emit(b, `${base}/${name}`, plain.name, plain) };
}

/**
 * Input of an element-wise layer. Element-wise ops keep a Flatten's C,H,W order as it is; only
 * pending ZeroPadding2D pads must be applied (a padded value is never a flattened one).
 */
function elementwise(ctx: ConvertContext): Value {
  const input = soleInput(ctx);
  return input.pendingPads ? materialize(ctx.b, input, ctx.layer.name) : input;
}

/** `Activation` layer. */
export const convertActivation: LayerConverter = (ctx) =>
  applyActivation(ctx.b, ctx.layer.name, ctx.layer.config.activation, elementwise(ctx));

/** `ReLU` layer: ReLU, capped (maxValue), leaky (negativeSlope) or thresholded. */
export const convertReLU: LayerConverter = (ctx) => {
  const { b, layer } = ctx;
  const input = elementwise(ctx);
  const maxValue = layer.config.maxValue;
  const slope = numberOption(layer, 'negativeSlope', 0);
  const threshold = numberOption(layer, 'threshold', 0);
  if (slope !== 0 || threshold !== 0) {
    throw new Error(`layer ${layer.name}: ReLU with negativeSlope/threshold is not supported`);
  }
  const name =
    typeof maxValue === 'number'
      ? clip(b, `${layer.name}/relu`, input.name, 0, maxValue)
      : b.op('Relu', `${layer.name}/relu`, [input.name]);
  return { ...input, name };
};

/** `LeakyReLU` layer. */
export const convertLeakyReLU: LayerConverter = (ctx) => {
  const input = elementwise(ctx);
  const alpha = numberOption(ctx.layer, 'alpha', 0.3);
  return {
    ...input,
    name: ctx.b.op('LeakyRelu', `${ctx.layer.name}/leaky_relu`, [input.name], { alpha: { f: alpha } }),
  };
};

/** `ELU` layer. */
export const convertELU: LayerConverter = (ctx) => {
  const input = elementwise(ctx);
  const alpha = numberOption(ctx.layer, 'alpha', 1);
  return { ...input, name: ctx.b.op('Elu', `${ctx.layer.name}/elu`, [input.name], { alpha: { f: alpha } }) };
};

/** `Softmax` layer (its axis mapped to the ONNX layout). */
export const convertSoftmax: LayerConverter = (ctx) => {
  const input = materialize(ctx.b, soleInput(ctx), ctx.layer.name);
  const axis = numberOption(ctx.layer, 'axis', -1);
  return {
    ...input,
    name: ctx.b.op('Softmax', `${ctx.layer.name}/softmax`, [input.name], {
      axis: { i: onnxAxis(input, axis) },
    }),
  };
};

/** A custom `HardSwish` layer (MobileNetV3-style models register one; tfjs has no built-in). */
export const convertHardSwish: LayerConverter = (ctx) =>
  applyActivation(ctx.b, ctx.layer.name, 'hard_swish', elementwise(ctx));
