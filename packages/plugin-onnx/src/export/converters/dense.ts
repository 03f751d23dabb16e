import { weightOf } from '../keras-graph.js';
import { materialize } from '../value.js';
import { applyActivation } from './activation.js';
import { batchNormAffine } from './batch-norm.js';
import { type LayerConverter, soleInput } from './context.js';

/**
 * Keras row (H,W,C order) of each ONNX input feature when the input was flattened from NCHW
 * `[C, H, W]`, so the kernel absorbs the layout change instead of a Transpose op.
 */
function kerasRowOf(
  flattenedFrom: [number, number, number] | undefined,
  features: number,
): (i: number) => number {
  if (!flattenedFrom) return (i) => i;
  const [c, h, w] = flattenedFrom;
  if (c * h * w !== features)
    throw new Error(`flattened size ${c}×${h}×${w} does not match ${features} inputs`);
  return (i) => {
    const ci = Math.floor(i / (h * w));
    const hi = Math.floor((i % (h * w)) / w);
    const wi = i % w;
    return (hi * w + wi) * c + ci;
  };
}

/**
 * `Dense` on a rank-1 input: `Gemm` with the kernel stored transposed (`[out, in]`, transB), the
 * layout ONNX tools and quantizers expect; a following BatchNormalization is folded in.
 */
export const convertDense: LayerConverter = (ctx) => {
  const { b, layer } = ctx;
  let input = soleInput(ctx);
  if (input.shape.length !== 1) {
    throw new Error(
      `layer ${layer.name}: Dense on a rank-${input.shape.length} input is not supported (add a Flatten)`,
    );
  }
  input = input.pendingPads ? materialize(b, input, layer.name) : input;
  const weights = layer.weights();
  const kernel = weightOf(weights, 'kernel', layer.name);
  const [inputs, units] = kernel.shape as [number, number];
  const row = kerasRowOf(input.flattenedFrom, inputs);
  const w = new Float32Array(inputs * units);
  for (let o = 0; o < units; o++) {
    for (let i = 0; i < inputs; i++) w[o * inputs + i] = kernel.data[row(i) * units + o] as number;
  }
  const bias = new Float32Array(units);
  if (layer.config.useBias !== false) bias.set(weightOf(weights, 'bias', layer.name).data);
  if (ctx.foldedNorm) {
    const { scale, shift } = batchNormAffine(ctx.foldedNorm);
    for (let o = 0; o < units; o++) {
      const s = scale[o] as number;
      for (let i = 0; i < inputs; i++) w[o * inputs + i] = (w[o * inputs + i] as number) * s;
      bias[o] = (bias[o] as number) * s + (shift[o] as number);
    }
  }
  const base = ctx.foldedNorm ? ctx.foldedNorm.name : layer.name;
  const gemm = b.op(
    'Gemm',
    `${base}/gemm`,
    [
      input.name,
      b.constant(`${layer.name}/W`, [units, inputs], w),
      b.constant(`${layer.name}/B`, [units], bias),
    ],
    { transB: { i: 1 } },
  );
  return applyActivation(b, layer.name, layer.config.activation, {
    name: gemm,
    shape: [units],
    layout: 'keras',
  });
};
