import { MlopsError } from '@mlops/core';
import type { KerasLayer } from './keras-graph.js';

/**
 * The error for layers the exporter has no mapping for. It names every such layer with its class
 * and lists what is supported, so the user can swap the layer or drop `onnx` from the formats.
 */
export function unsupportedLayerError(layers: KerasLayer[], supported: string[]): MlopsError {
  const list = layers.map((l) => `${l.name} (${l.className})`).join(', ');
  return new MlopsError(
    'MLOPS_ERR_STAGE_FAILED',
    `ONNX export: unsupported layer${layers.length > 1 ? 's' : ''} ${list}. Supported layer classes: ${supported.join(', ')}`,
    {
      hint: "Build the model from supported layers (every model-zoo architecture is), or remove 'onnx' from export.formats to export tfjs only.",
    },
  );
}

/** Wraps a converter failure in an error naming the layer and its class. */
export function layerConversionError(layer: KerasLayer, cause: unknown): MlopsError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new MlopsError(
    'MLOPS_ERR_STAGE_FAILED',
    `ONNX export: cannot convert layer ${layer.name} (${layer.className}): ${message}`,
    {
      cause,
      hint: "Change the layer's configuration to a supported one, or remove 'onnx' from export.formats.",
    },
  );
}
