import { weightOf } from '../keras-graph.js';
import { materialize, onnxAxis, shapeConstant, type Value } from '../value.js';
import { type ConvertContext, type LayerConverter, numberOption, soleInput } from './context.js';

/**
 * plugin-tfjs' `LayerScale` (timm's `LayerScale2d`): one `Mul` by the per-channel `gamma`,
 * broadcast over the spatial axes.
 */
export const convertLayerScale: LayerConverter = (ctx) => {
  const { b, layer } = ctx;
  const input = materialize(b, soleInput(ctx), layer.name);
  const gamma = weightOf(layer.weights(), 'gamma', layer.name);
  const channelAxis = onnxAxis(input, -1);
  const rank = input.shape.length + 1;
  // Channels on the channel axis, 1 elsewhere (batch axis dropped).
  const dims = Array.from({ length: rank - 1 }, (_, i) => (i + 1 === channelAxis ? gamma.data.length : 1));
  const scaled = b.op('Mul', `${layer.name}/gamma`, [
    input.name,
    b.constant(`${layer.name}/gamma_c`, dims, Float32Array.from(gamma.data)),
  ]);
  return { ...input, name: scaled };
};

function attentionInputs(ctx: ConvertContext): [Value, Value, Value] {
  const { b, layer } = ctx;
  if (ctx.inputs.length !== 3) {
    throw new Error(
      `layer ${layer.name} (MultiQueryAttention) expects inputs [q, k, v], got ${ctx.inputs.length}`,
    );
  }
  const values = ctx.inputs.map((v, i) => materialize(b, v, `${layer.name}/in${i}`));
  for (const v of values) {
    if (v.layout !== 'nchw') throw new Error(`layer ${layer.name} expects image (rank-3) inputs`);
  }
  return values as [Value, Value, Value];
}

/**
 * plugin-tfjs' `MultiQueryAttention` (the weight-free core of timm's `MultiQueryAttention2d`):
 * `numHeads` query heads over one shared key and value. In the NCHW layout the exporter keeps,
 * the query `[N, heads·d, H, W]` reshapes to `[N, heads, d, L]` (channel `head·d + i`), the key to
 * `[N, 1, d, P]` and the value to `[N, 1, dv, P]`; then, with the attention kept transposed so
 * that no query or output transpose is needed:
 *
 *   attnᵀ = softmax over P of  kᵀ · (q · d^-½)       [N, heads, P, L]   (MatMul broadcasts the 1)
 *   outᵀ  = v · attnᵀ                                  [N, heads, dv, L]  → [N, heads·dv, H, W]
 *
 * which is channel `head·dv + j` of pixel `l`, as the tfjs layer. Opset-13 ops only: Reshape,
 * Transpose (of the small key), Mul, MatMul, Softmax with an explicit axis.
 */
export const convertMultiQueryAttention: LayerConverter = (ctx) => {
  const { b, layer } = ctx;
  const [q, k, v] = attentionInputs(ctx);
  const heads = numberOption(layer, 'numHeads', 0);
  const keyDim = numberOption(layer, 'keyDim', 0);
  const valueDim = numberOption(layer, 'valueDim', 0);
  const [h, w] = q.shape as [number, number, number];
  const [kh, kw] = k.shape as [number, number, number];
  if (q.shape[2] !== heads * keyDim || k.shape[2] !== keyDim || v.shape[2] !== valueDim) {
    throw new Error(
      `layer ${layer.name}: inputs [${q.shape}], [${k.shape}], [${v.shape}] do not fit numHeads ${heads}, keyDim ${keyDim}, valueDim ${valueDim}`,
    );
  }
  const L = h * w;
  const P = kh * kw;
  const base = layer.name;
  const reshape = (x: string, name: string, dims: number[]) =>
    b.op('Reshape', `${base}/${name}`, [x, shapeConstant(b, `${base}/${name}_shape`, dims)]);
  const queries = reshape(q.name, 'q_heads', [-1, heads, keyDim, L]);
  const scaled = b.op('Mul', `${base}/q_scale`, [
    queries,
    b.constant(`${base}/scale`, [], Float32Array.of(keyDim ** -0.5)),
  ]);
  const keys = reshape(k.name, 'k_flat', [-1, 1, keyDim, P]);
  const keysT = b.op('Transpose', `${base}/k_t`, [keys], { perm: { ints: [0, 1, 3, 2] } });
  const logitsT = b.op('MatMul', `${base}/logits_t`, [keysT, scaled]);
  const attnT = b.op('Softmax', `${base}/softmax`, [logitsT], { axis: { i: 2 } });
  const values = reshape(v.name, 'v_flat', [-1, 1, valueDim, P]);
  const outT = b.op('MatMul', `${base}/out_t`, [values, attnT]);
  const out = reshape(outT, 'out', [-1, heads * valueDim, h, w]);
  return { name: out, shape: layer.shape, layout: 'nchw' };
};
