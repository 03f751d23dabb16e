import type { GraphNode, OnnxModel } from '../onnx/ir.js';

/**
 * A non-grouped Conv whose dot products are shorter than this (input channels × kernel area)
 * stays float. onnxruntime's integer convolution packs the reduction dimension in blocks and
 * im2cols the NHWC input, so a stem conv over 1 channel (3×3 → 9 terms per output) runs ~9×
 * slower as QLinearConv than as the NCHWc float kernel (measured on fast_cnn at 28×28×1,
 * batch 32: 824 µs vs 88 µs), which alone ate the whole int8 gain of the example model.
 */
export const MIN_INT8_CONV_REDUCTION = 16;

/**
 * Ops that follow a float conv and stay float with it, so the graph is quantized once after
 * them, on the smaller tensor, rather than once before each of them.
 */
const FLOAT_FOLLOWERS = new Set(['Relu', 'Clip', 'MaxPool']);

function intAttribute(node: GraphNode, name: string): number | undefined {
  const value = node.attributes?.[name];
  return value && 'i' in value ? Number(value.i) : undefined;
}

/** Whether `node` is a Conv too shallow for integer kernels to pay off (see {@link MIN_INT8_CONV_REDUCTION}). */
export function isShallowConv(model: OnnxModel, node: GraphNode): boolean {
  if (node.opType !== 'Conv' || (intAttribute(node, 'group') ?? 1) !== 1) return false;
  const weight = model.initializers.get(node.inputs[1] ?? '');
  if (weight?.dims.length !== 4) return false;
  const [, inChannels = 0, kh = 0, kw = 0] = weight.dims;
  return inChannels * kh * kw < MIN_INT8_CONV_REDUCTION;
}

/**
 * The nodes {@link quantizeQdq} leaves in float: shallow convs and the ReLU/Clip/MaxPool chain
 * that reads only their output (nodes are in topological order, as the exporter writes them).
 */
export function floatNodes(model: OnnxModel): Set<GraphNode> {
  const floats = new Set<GraphNode>();
  const floatTensors = new Set<string>();
  for (const node of model.nodes) {
    const followsFloat = FLOAT_FOLLOWERS.has(node.opType) && floatTensors.has(node.inputs[0] as string);
    if (isShallowConv(model, node) || followsFloat) {
      floats.add(node);
      for (const out of node.outputs) floatTensors.add(out);
    }
  }
  return floats;
}

/**
 * Rewrites `Relu → MaxPool` into the equivalent `MaxPool → Relu` (both are monotonic, so they
 * commute) after a shallow float conv. The float region then ends in a Relu, which
 * onnxruntime's QDQ propagation does not move a QuantizeLinear across; ending in MaxPool, the
 * QuantizeLinear is hoisted above the pool, which then runs as a slow NCHW uint8 MaxPool
 * (measured 600 µs vs 32 µs float at batch 32 on fast_cnn).
 */
export function poolBeforeStemActivation(model: OnnxModel): OnnxModel {
  const readers = new Map<string, number>();
  for (const node of model.nodes) for (const i of node.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const producer = new Map(model.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const nodes = [...model.nodes];
  for (let k = 0; k + 1 < nodes.length; k++) {
    const act = nodes[k] as GraphNode;
    const pool = nodes[k + 1] as GraphNode;
    const actIn = act.inputs[0] as string;
    const actOut = act.outputs[0] as string;
    const conv = producer.get(actIn);
    if (
      act.opType !== 'Relu' ||
      pool.opType !== 'MaxPool' ||
      pool.inputs[0] !== actOut ||
      pool.outputs.length !== 1 ||
      readers.get(actOut) !== 1 ||
      readers.get(actIn) !== 1 ||
      !conv ||
      !isShallowConv(model, conv)
    ) {
      continue;
    }
    const pooled = `${pool.outputs[0]}_before_relu`;
    nodes[k] = { ...pool, inputs: [actIn, ...pool.inputs.slice(1)], outputs: [pooled] };
    nodes[k + 1] = { ...act, inputs: [pooled], outputs: pool.outputs };
  }
  return { ...model, nodes };
}
