import type { GraphNode, Initializer, OnnxModel } from '../onnx/ir.js';
import type { TensorRange } from './calibrate.js';
import { floatNodes, poolBeforeStemActivation } from './float-region.js';
import { quantizeBias, quantizeWeightsPerChannel, type Uint8Params, uint8Params } from './quant-params.js';

/** Ops whose activation inputs get QuantizeLinear → DequantizeLinear pairs (ORT fuses them). */
const QUANTIZED_OPS = new Set([
  'Conv',
  'Gemm',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Add',
  'Concat',
  'Transpose',
  'Reshape',
  'Flatten',
  'Relu',
  'Clip',
]);

/** Ops that only move or select values: their output reuses the input's scale, so ORT drops the QDQ. */
const SAME_SCALE_OPS = new Set(['MaxPool', 'Transpose', 'Reshape', 'Flatten']);

/** Ops whose only activation input is input 0 (the rest are constants: shapes, weights, bounds). */
const DATA_INPUT_ONLY = new Set([
  'Conv',
  'Gemm',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Transpose',
  'Reshape',
  'Flatten',
  'Relu',
  'Clip',
]);

/** What {@link quantizeQdq} did. */
export interface QdqSummary {
  /** The quantized graph. */
  model: OnnxModel;
  /** Conv and Gemm nodes with int8 weights. */
  quantizedWeights: number;
  /** Activation tensors with a QDQ pair. */
  quantizedTensors: number;
  /** ReLU/Clip nodes absorbed into the quantization of the preceding conv or dense. */
  foldedActivations: number;
}

function scalarValue(model: OnnxModel, name: string | undefined): number | undefined {
  const init = name ? model.initializers.get(name) : undefined;
  return init && init.data.length === 1 ? Number(init.data[0]) : undefined;
}

/**
 * Static QDQ int8 quantization of a float graph, in the format onnxruntime fuses into integer
 * kernels (QLinearConv, QGemm, QLinearAdd, ...):
 * - weights of Conv/Gemm: symmetric int8 per output channel; biases int32 at `s_x · s_w`;
 * - activations read by those ops: asymmetric uint8 from the calibrated ranges;
 * - a ReLU or ReLU6 right after a conv/dense disappears: its output range starts at 0 (and ends at
 *   the clip), so quantization itself clamps;
 * - data-movement ops (MaxPool, Transpose, Reshape, Flatten) keep their input's scale;
 * - the graph output (probabilities) stays float;
 * - a shallow stem conv (1-channel input) and the ReLU/MaxPool after it stay float, quantized once
 *   after them: faster than onnxruntime's integer conv there (see `float-region.ts`).
 */
export function quantizeQdq(source: OnnxModel, ranges: Map<string, TensorRange>): QdqSummary {
  const model = poolBeforeStemActivation(source);
  const graphOutputs = new Set(model.outputs.map((o) => o.name));
  const consumers = new Map<string, GraphNode[]>();
  for (const node of model.nodes) {
    for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  }
  const floats = floatNodes(model);
  // A data-movement op is quantized only when what it feeds is: otherwise it would wrap a float
  // consumer (the stem conv's input transpose) in a useless uint8 round trip.
  const sameScaleQuantized = new Map<GraphNode, boolean>();
  const isQuantizedOp = (node: GraphNode): boolean => {
    if (!QUANTIZED_OPS.has(node.opType) || floats.has(node)) return false;
    if (!SAME_SCALE_OPS.has(node.opType)) return true;
    let known = sameScaleQuantized.get(node);
    if (known === undefined) {
      known = node.outputs.some((out) => !graphOutputs.has(out) && readByQuantizedOp(out));
      sameScaleQuantized.set(node, known);
    }
    return known;
  };
  const isActivationInput = (node: GraphNode, index: number, name: string): boolean =>
    !model.initializers.has(name) && name !== '' && (!DATA_INPUT_ONLY.has(node.opType) || index === 0);
  function readByQuantizedOp(tensor: string): boolean {
    return (consumers.get(tensor) ?? []).some(
      (n) => isQuantizedOp(n) && n.inputs.some((i, k) => i === tensor && isActivationInput(n, k, i)),
    );
  }

  // 1. ReLU / Clip(0, m) right after Conv/Gemm fold into the output quantization.
  const removed = new Set<GraphNode>();
  const renamed = new Map<string, string>();
  const clampRanges = new Map<string, TensorRange>();
  for (const node of model.nodes) {
    if ((node.opType !== 'Conv' && node.opType !== 'Gemm') || floats.has(node)) continue;
    const out = node.outputs[0] as string;
    const readers = consumers.get(out) ?? [];
    const act = readers[0];
    if (readers.length !== 1 || !act || graphOutputs.has(out)) continue;
    const actOut = act.outputs[0] as string;
    if (graphOutputs.has(actOut) || !readByQuantizedOp(actOut)) continue;
    if (act.opType === 'Relu') clampRanges.set(actOut, { min: 0, max: Number.POSITIVE_INFINITY });
    else if (act.opType === 'Clip' && scalarValue(model, act.inputs[1]) === 0) {
      clampRanges.set(actOut, { min: 0, max: scalarValue(model, act.inputs[2]) ?? Number.POSITIVE_INFINITY });
    } else continue;
    removed.add(act);
    renamed.set(out, actOut);
  }
  const nodes = model.nodes
    .filter((n) => !removed.has(n))
    .map((n) => ({ ...n, outputs: n.outputs.map((o) => renamed.get(o) ?? o) }));

  // 2. Which activations get QDQ, and their parameters (same-scale ops inherit their input's).
  const inputName = model.inputs[0]?.name as string;
  const quantized = new Set(
    [inputName, ...nodes.flatMap((n) => n.outputs)].filter(
      (t) => !graphOutputs.has(t) && readByQuantizedOp(t),
    ),
  );
  const params = new Map<string, Uint8Params>();
  const rangeOf = (t: string): TensorRange => {
    const range = ranges.get(t) ?? { min: 0, max: 0 };
    const clamp = clampRanges.get(t);
    return clamp ? { min: Math.max(range.min, clamp.min), max: Math.min(range.max, clamp.max) } : range;
  };
  if (quantized.has(inputName)) params.set(inputName, uint8Params(rangeOf(inputName)));
  for (const node of nodes) {
    const out = node.outputs[0] as string;
    if (!quantized.has(out)) continue;
    const source = params.get(node.inputs[0] as string);
    params.set(out, SAME_SCALE_OPS.has(node.opType) && source ? source : uint8Params(rangeOf(out)));
  }

  // 3. Rewrite: weights to int8 + DequantizeLinear, activations through QuantizeLinear → DequantizeLinear.
  const initializers = new Map(model.initializers);
  const head: GraphNode[] = [];
  const body: GraphNode[] = [];
  const addInit = (name: string, dims: number[], data: Initializer['data']): string => {
    initializers.set(name, { name, dims, data });
    return name;
  };
  const dequantized = (t: string) => `${t}_dequantized`;
  const qdq = (t: string, into: GraphNode[]) => {
    const p = params.get(t) as Uint8Params;
    const scale = addInit(`${t}_scale`, [], Float32Array.of(p.scale));
    const zero = addInit(`${t}_zero_point`, [], Uint8Array.of(p.zeroPoint));
    into.push(
      {
        name: `${t}_QuantizeLinear`,
        opType: 'QuantizeLinear',
        inputs: [t, scale, zero],
        outputs: [`${t}_quantized`],
      },
      {
        name: `${t}_DequantizeLinear`,
        opType: 'DequantizeLinear',
        inputs: [`${t}_quantized`, scale, zero],
        outputs: [dequantized(t)],
      },
    );
  };
  const dequantizeConstant = (
    name: string,
    dims: number[],
    values: Int8Array | Int32Array,
    scales: Float32Array,
  ): string => {
    const q = addInit(`${name}_quantized`, dims, values);
    const s = addInit(`${name}_scale`, [scales.length], scales);
    const z = addInit(
      `${name}_zero_point`,
      [scales.length],
      values instanceof Int8Array ? new Int8Array(scales.length) : new Int32Array(scales.length),
    );
    initializers.delete(name);
    head.push({
      name: `${name}_DequantizeLinear`,
      opType: 'DequantizeLinear',
      inputs: [q, s, z],
      outputs: [dequantized(name)],
      attributes: { axis: { i: 0 } },
    });
    return dequantized(name);
  };
  if (quantized.has(inputName)) qdq(inputName, head);
  let quantizedWeights = 0;
  for (const node of nodes) {
    const inputs = node.inputs.map((i, k) =>
      quantized.has(i) && isActivationInput(node, k, i) ? dequantized(i) : i,
    );
    const x = node.inputs[0] as string;
    const weight = model.initializers.get(node.inputs[1] ?? '');
    // Per-channel scales run along axis 0: the output channel of Conv weights and of a Gemm's
    // B stored as [out, in] (transB = 1, how the exporter writes Dense).
    const transB = node.attributes?.transB;
    const transposedGemm = node.opType === 'Gemm' && transB !== undefined && 'i' in transB && transB.i === 1;
    if (
      (node.opType === 'Conv' || transposedGemm) &&
      weight?.data instanceof Float32Array &&
      quantized.has(x)
    ) {
      const channels = weight.dims[0] as number;
      const w = quantizeWeightsPerChannel(weight.data, channels);
      inputs[1] = dequantizeConstant(weight.name, weight.dims, w.values, w.scales);
      const bias = model.initializers.get(node.inputs[2] ?? '');
      if (bias && bias.data instanceof Float32Array) {
        const b = quantizeBias(bias.data, (params.get(x) as Uint8Params).scale, w.scales);
        inputs[2] = dequantizeConstant(bias.name, bias.dims, b.values, b.scales);
      }
      quantizedWeights++;
    }
    body.push({ ...node, inputs });
    for (const out of node.outputs) if (quantized.has(out)) qdq(out, body);
  }
  return {
    model: { ...model, nodes: [...head, ...body], initializers },
    quantizedWeights,
    quantizedTensors: quantized.size,
    foldedActivations: removed.size,
  };
}
