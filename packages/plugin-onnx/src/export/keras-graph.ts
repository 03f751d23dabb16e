import type { LayersModel } from '@tensorflow/tfjs-layers';
import { onnxErrors } from '../errors.js';

/** A weight of a layer, by its Keras name suffix (`kernel`, `bias`, `gamma`, ...). */
export interface LayerWeight {
  /** Last part of the variable name, e.g. `moving_mean`. */
  role: string;
  /** Keras shape. */
  shape: number[];
  /** Values, row-major in Keras layout. */
  data: Float32Array;
}

/** One layer of a functional Keras graph, with what the exporter needs. */
export interface KerasLayer {
  /** Layer name (unique in the model). */
  name: string;
  /** Keras class name, e.g. `Conv2D`. */
  className: string;
  /** The layer's config as tfjs reports it (camelCase keys). */
  config: Record<string, unknown>;
  /** Names of the layers whose outputs this layer takes, in order. */
  inputs: string[];
  /** Output shape without the batch dimension. */
  shape: number[];
  /** Reads the weights (once per call: the exporter calls it once per layer). */
  weights(): LayerWeight[];
}

/** A Keras functional model as a topologically ordered list of layers. */
export interface KerasGraph {
  /** Model name. */
  name: string;
  /** Layers, producers before consumers. */
  layers: KerasLayer[];
  /** Input layer names. */
  inputs: string[];
  /** Output layer names. */
  outputs: string[];
  /** Layer name → names of the layers that take its output. */
  consumers: Map<string, string[]>;
  /** Layer by name. */
  byName: Map<string, KerasLayer>;
}

type InboundNode = [string, number, number, unknown][];

interface RawLayerConfig {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inboundNodes: InboundNode[];
}

function shapeWithoutBatch(shape: unknown, layer: string): number[] {
  if (!Array.isArray(shape) || Array.isArray(shape[0])) {
    throw onnxErrors.create(
      'MLOPS_ONNX_ERR_UNSUPPORTED_LAYER',
      `layer ${layer} has several outputs; only single-output layers are exported`,
      {
        hint: "Build the model from layers each called once with fixed output sizes (every model-zoo architecture is), or remove 'onnx' from export.formats.",
      },
    );
  }
  const dims = shape.slice(1);
  if (!dims.every((d): d is number => typeof d === 'number')) {
    throw onnxErrors.create(
      'MLOPS_ONNX_ERR_UNSUPPORTED_LAYER',
      `layer ${layer} has a dynamic output shape [${shape.join(', ')}]; export needs fixed sizes`,
      {
        hint: "Build the model from layers each called once with fixed output sizes (every model-zoo architecture is), or remove 'onnx' from export.formats.",
      },
    );
  }
  return dims;
}

/**
 * Reads a tfjs-layers functional (or sequential) model into a {@link KerasGraph}. Layers shared
 * between several call sites are rejected: the zoo never shares layers, and ONNX has no notion of it.
 */
export function readKerasGraph(source: LayersModel): KerasGraph {
  const model = functionalModelOf(source);
  const config = model.getConfig() as unknown as {
    name: string;
    layers: RawLayerConfig[];
    inputLayers: [string, number, number][];
    outputLayers: [string, number, number][];
  };
  const byName = new Map<string, KerasLayer>();
  const raw = new Map<string, RawLayerConfig>();
  for (const entry of config.layers) {
    if (entry.inboundNodes.length > 1) {
      throw onnxErrors.create(
        'MLOPS_ONNX_ERR_UNSUPPORTED_LAYER',
        `layer ${entry.name} (${entry.className}) is called ${entry.inboundNodes.length} times; shared layers cannot be exported`,
        {
          hint: "Build the model from layers each called once with fixed output sizes (every model-zoo architecture is), or remove 'onnx' from export.formats.",
        },
      );
    }
    const layer = model.getLayer(entry.name);
    raw.set(entry.name, entry);
    byName.set(entry.name, {
      name: entry.name,
      className: entry.className,
      config: entry.config,
      inputs: (entry.inboundNodes[0] ?? []).map(([producer, , tensorIndex]) => {
        if (tensorIndex !== 0)
          throw onnxErrors.create(
            'MLOPS_ONNX_ERR_UNSUPPORTED_LAYER',
            `layer ${entry.name} reads output ${tensorIndex} of ${producer}`,
            {
              hint: "Build the model from layers each called once with fixed output sizes (every model-zoo architecture is), or remove 'onnx' from export.formats.",
            },
          );
        return producer;
      }),
      shape: shapeWithoutBatch(layer.outputShape, entry.name),
      weights: () =>
        layer.weights.map((v) => ({
          role: (v.originalName ?? v.name).split('/').pop() ?? v.name,
          shape: v.shape.map((d) => d ?? 0),
          data: v.read().dataSync() as Float32Array,
        })),
    });
  }
  const consumers = new Map<string, string[]>([...byName.keys()].map((n) => [n, []]));
  for (const layer of byName.values()) {
    for (const input of layer.inputs) consumers.get(input)?.push(layer.name);
  }
  return {
    name: config.name,
    layers: topologicalOrder(byName),
    inputs: config.inputLayers.map(([name]) => name),
    outputs: config.outputLayers.map(([name]) => name),
    consumers,
    byName,
  };
}

/**
 * A Sequential wraps a functional model (with an explicit InputLayer), built on first use: read
 * that one.
 */
function functionalModelOf(source: LayersModel): LayersModel {
  if (source.getClassName() !== 'Sequential') return source;
  const sequential = source as unknown as { model?: LayersModel; build(): void };
  if (!sequential.model) sequential.build();
  return sequential.model ?? source;
}

/** Producers before consumers (Kahn's algorithm, stable in config order). */
function topologicalOrder(byName: Map<string, KerasLayer>): KerasLayer[] {
  const done = new Set<string>();
  const order: KerasLayer[] = [];
  let progressed = true;
  while (order.length < byName.size && progressed) {
    progressed = false;
    for (const layer of byName.values()) {
      if (done.has(layer.name) || !layer.inputs.every((i) => done.has(i))) continue;
      done.add(layer.name);
      order.push(layer);
      progressed = true;
    }
  }
  if (order.length < byName.size) throw new Error('the model graph has a cycle or a dangling input');
  return order;
}

/** A weight by role; throws naming the layer when missing. */
export function weightOf(weights: LayerWeight[], role: string, layer: string): LayerWeight {
  const weight = weights.find((w) => w.role === role);
  if (!weight)
    throw new Error(`layer ${layer} has no '${role}' weight (has: ${weights.map((w) => w.role).join(', ')})`);
  return weight;
}
