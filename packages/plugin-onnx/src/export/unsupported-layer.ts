import type { MlopsError } from '@mlops/core';
import { onnxErrors } from '../errors.js';
import type { KerasLayer } from './keras-graph.js';

/**
 * The error for layers the exporter has no mapping for. It names every such layer with its class
 * and lists what is supported, so the user can swap the layer or drop `onnx` from the formats.
 */
export function unsupportedLayerError(layers: KerasLayer[], supported: string[]): MlopsError {
  const list = layers.map((l) => `${l.name} (${l.className})`).join(', ');
  return onnxErrors.create(
    'MLOPS_ONNX_ERR_UNSUPPORTED_LAYER',
    `ONNX export: unsupported layer${layers.length > 1 ? 's' : ''} ${list}. Supported layer classes: ${supported.join(', ')}`,
  );
}

/** Wraps a converter failure in an error naming the layer and its class. */
export function layerConversionError(layer: KerasLayer, cause: unknown): MlopsError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return onnxErrors.create(
    'MLOPS_ONNX_ERR_UNSUPPORTED_LAYER',
    `ONNX export: cannot convert layer ${layer.name} (${layer.className}): ${message}`,
    {
      cause,
      hint: "Change the layer's configuration to a supported one, or remove 'onnx' from export.formats.",
    },
  );
}
