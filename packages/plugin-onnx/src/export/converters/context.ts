import type { GraphBuilder } from '../../onnx/graph-builder.js';
import type { KerasLayer } from '../keras-graph.js';
import type { Value } from '../value.js';

/** What a layer converter gets. */
export interface ConvertContext {
  /** The graph being built. */
  b: GraphBuilder;
  /** The layer to convert. */
  layer: KerasLayer;
  /** Its inputs, already converted. */
  inputs: Value[];
  /** A BatchNormalization that directly follows this layer and is folded into its weights. */
  foldedNorm?: KerasLayer;
  /** The layers reading this layer's output, looking through identity layers (Dropout, ...). */
  consumers: KerasLayer[];
}

/** Emits the ONNX ops of one Keras layer and returns its output. */
export type LayerConverter = (ctx: ConvertContext) => Value;

/** The only input of a single-input layer. */
export function soleInput(ctx: ConvertContext): Value {
  const [input] = ctx.inputs;
  if (ctx.inputs.length !== 1 || !input) {
    throw new Error(
      `layer ${ctx.layer.name} (${ctx.layer.className}) expects one input, got ${ctx.inputs.length}`,
    );
  }
  return input;
}

/** A numeric config value, or `fallback` when absent. */
export function numberOption(layer: KerasLayer, key: string, fallback: number): number {
  const value = layer.config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number')
    throw new Error(`layer ${layer.name}: ${key} must be a number, got ${JSON.stringify(value)}`);
  return value;
}

/** A pair config value (`kernelSize`, `strides`, ...), given as one number or two. */
export function pairOption(layer: KerasLayer, key: string, fallback: number): [number, number] {
  const value = layer.config[key];
  if (value === undefined || value === null) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    return [value[0] as number, value[1] as number];
  }
  throw new Error(`layer ${layer.name}: ${key} must be a number or a pair, got ${JSON.stringify(value)}`);
}

/** Rejects `dataFormat: 'channelsFirst'`: the zoo and the input pipeline are channels-last. */
export function requireChannelsLast(layer: KerasLayer): void {
  const format = layer.config.dataFormat;
  if (format !== undefined && format !== 'channelsLast') {
    throw new Error(`layer ${layer.name}: dataFormat ${String(format)} is not supported (only channelsLast)`);
  }
}

/**
 * TF "same" padding of one spatial axis: the output has `ceil(in / stride)` positions, and the
 * odd pixel of padding goes after (bottom/right), as TensorFlow does.
 */
export function samePads(inSize: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** ONNX pads `[top, left, bottom, right]` of a Keras `padding` setting for a layer's input. */
export function spatialPads(
  layer: KerasLayer,
  input: Value,
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number],
): [number, number, number, number] {
  const padding = layer.config.padding ?? 'valid';
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same')
    throw new Error(`layer ${layer.name}: padding '${String(padding)}' is not supported`);
  const [h, w] = input.shape as [number, number, number];
  const [top, bottom] = samePads(h, kernel[0], strides[0], dilation[0]);
  const [left, right] = samePads(w, kernel[1], strides[1], dilation[1]);
  return [top, left, bottom, right];
}
