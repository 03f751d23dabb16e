import { isMlopsError } from '@mlops/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { ElemType, type OnnxModel } from '../onnx/ir.js';
import { IDENTITY_LAYERS, LAYER_CONVERTERS, supportedLayerClasses } from './converters/index.js';
import { type KerasGraph, type KerasLayer, readKerasGraph } from './keras-graph.js';
import { layerConversionError, unsupportedLayerError } from './unsupported-layer.js';
import { fromKerasLayout, materialize, toKerasLayout, type Value } from './value.js';

/** Opset of the exported graphs: 13 has per-channel QuantizeLinear/DequantizeLinear. */
export const EXPORT_OPSET = 13;

/** Name of the graph input: NHWC float images, normalized as in training. */
export const INPUT_NAME = 'input';

/** Name of the graph output: class probabilities (softmax of the logits). */
export const OUTPUT_NAME = 'probabilities';

/** A tfjs model converted to ONNX. */
export interface ConvertedModel {
  /** The graph (metadata empty; the exporter adds it). */
  model: OnnxModel;
  /** Input image shape `[height, width, channels]`. */
  inputShape: [number, number, number];
  /** Number of classes (width of the output). */
  numClasses: number;
  /** BatchNormalization layers folded into the preceding conv or dense. */
  foldedNorms: number;
}

const FOLDS_NORM = new Set(['Conv2D', 'DepthwiseConv2D', 'Dense']);

/** BatchNormalization layers to fold, by the layer they fold into. */
function foldableNorms(graph: KerasGraph): Map<string, KerasLayer> {
  const folds = new Map<string, KerasLayer>();
  for (const layer of graph.layers) {
    if (layer.className !== 'BatchNormalization' || layer.inputs.length !== 1) continue;
    const producer = graph.byName.get(layer.inputs[0] as string);
    if (!producer || !FOLDS_NORM.has(producer.className)) continue;
    const activation = producer.config.activation;
    const linear = activation === undefined || activation === null || activation === 'linear';
    const readers = graph.consumers.get(producer.name) ?? [];
    if (linear && readers.length === 1) folds.set(producer.name, layer);
  }
  return folds;
}

/** Readers of a layer's output, looking through identity layers. */
function effectiveConsumers(graph: KerasGraph, name: string): KerasLayer[] {
  const out: KerasLayer[] = [];
  for (const reader of graph.consumers.get(name) ?? []) {
    const layer = graph.byName.get(reader);
    if (!layer) continue;
    if (IDENTITY_LAYERS.has(layer.className)) out.push(...effectiveConsumers(graph, reader));
    else out.push(layer);
  }
  return out;
}

function endsInSoftmax(layer: KerasLayer): boolean {
  return layer.className === 'Softmax' || layer.config.activation === 'softmax';
}

/** Options of {@link convertLayersModel}. */
export interface ConvertOptions {
  /**
   * What the graph outputs: `probabilities` (softmax of the logits, the default: what runtimes
   * serve) or the model's own last layer, unchanged (for testing layers on raw values).
   */
  output?: 'probabilities' | 'raw';
}

/**
 * Converts a single-input, single-output tfjs-layers image classifier to an ONNX graph: input
 * `input` `[batch, H, W, C]` (NHWC, normalized floats), output `probabilities` `[batch, classes]`.
 * Throws `MLOPS_ERR_STAGE_FAILED` naming every unsupported layer, or the layer that failed.
 */
export function convertLayersModel(model: LayersModel, options: ConvertOptions = {}): ConvertedModel {
  const graph = readKerasGraph(model);
  const unsupported = graph.layers.filter(
    (l) => l.className !== 'InputLayer' && !LAYER_CONVERTERS[l.className],
  );
  if (unsupported.length > 0) throw unsupportedLayerError(unsupported, supportedLayerClasses());
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw layerConversionError(
      graph.byName.get(graph.outputs[0] ?? '') ?? (graph.layers[0] as KerasLayer),
      new Error(
        `the model has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; export needs one of each`,
      ),
    );
  }
  const b = new GraphBuilder();
  const inputLayer = graph.byName.get(graph.inputs[0] as string) as KerasLayer;
  const inputShape = inputLayer.shape;
  if (inputShape.length !== 3) {
    throw layerConversionError(
      inputLayer,
      new Error(`input shape [${inputShape.join(', ')}] is not an image [height, width, channels]`),
    );
  }
  b.reserve(INPUT_NAME);
  b.reserve(OUTPUT_NAME);
  const values = new Map<string, Value>([
    [inputLayer.name, fromKerasLayout(b, INPUT_NAME, inputShape, 'input')],
  ]);
  const folds = foldableNorms(graph);
  const folded = new Set([...folds.values()].map((l) => l.name));
  for (const layer of graph.layers) {
    if (layer.className === 'InputLayer') continue;
    const inputs = layer.inputs.map((name) => values.get(name) as Value);
    if (folded.has(layer.name)) {
      values.set(layer.name, inputs[0] as Value);
      continue;
    }
    const convert = LAYER_CONVERTERS[layer.className];
    if (!convert) throw unsupportedLayerError([layer], supportedLayerClasses());
    const foldedNorm = folds.get(layer.name);
    try {
      const consumers = effectiveConsumers(graph, foldedNorm?.name ?? layer.name);
      values.set(layer.name, convert({ b, layer, inputs, consumers, ...(foldedNorm ? { foldedNorm } : {}) }));
    } catch (error) {
      if (isMlopsError(error)) throw error;
      throw layerConversionError(layer, error);
    }
  }
  const outputLayer = graph.byName.get(graph.outputs[0] as string) as KerasLayer;
  const last = values.get(outputLayer.name) as Value;
  if (options.output === 'raw') {
    // Raw values in Keras layout (NHWC for images), comparable element by element with tfjs.
    const raw = b.opInto('Identity', OUTPUT_NAME, [toKerasLayout(b, last, 'output')]);
    return finish(graph.name, b, inputShape, raw, last.shape, folds.size);
  }
  const out = materialize(b, last, 'output');
  if (out.shape.length !== 1) {
    throw layerConversionError(
      outputLayer,
      new Error(`output shape [${out.shape.join(', ')}] is not [classes]`),
    );
  }
  const probabilities = endsInSoftmax(outputLayer)
    ? b.opInto('Identity', OUTPUT_NAME, [out.name])
    : b.opInto('Softmax', OUTPUT_NAME, [out.name], { axis: { i: 1 } });
  return finish(graph.name, b, inputShape, probabilities, out.shape, folds.size);
}

function finish(
  name: string,
  b: GraphBuilder,
  inputShape: number[],
  output: string,
  outputShape: number[],
  foldedNorms: number,
): ConvertedModel {
  return {
    model: {
      name,
      nodes: b.nodes,
      initializers: b.initializers,
      inputs: [{ name: INPUT_NAME, elemType: ElemType.FLOAT, shape: ['batch', ...inputShape] }],
      outputs: [{ name: output, elemType: ElemType.FLOAT, shape: ['batch', ...outputShape] }],
      opset: EXPORT_OPSET,
      metadata: {},
    },
    inputShape: inputShape as [number, number, number],
    numClasses: outputShape[outputShape.length - 1] as number,
    foldedNorms,
  };
}
