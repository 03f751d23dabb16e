/**
 * @mlops/plugin-onnx — ONNX export of tfjs models without Python (with a parity check on every
 * export), static int8 quantization, and an onnxruntime-node runtime for serving.
 *
 * @packageDocumentation
 */

export { type OnnxErrorCode, onnxErrors } from './errors.js';
export {
  type ConvertedModel,
  convertLayersModel,
  EXPORT_OPSET,
  INPUT_NAME,
  OUTPUT_NAME,
} from './export/convert-layers-model.js';
export { supportedLayerClasses } from './export/converters/index.js';
export {
  decodeMetadata,
  encodeMetadata,
  type OnnxModelMetadata,
  type OnnxPreprocessing,
} from './metadata.js';
export type { AttributeValue, GraphNode, Initializer, OnnxModel, TensorData, ValueInfo } from './onnx/ir.js';
export { readMetadata, serializeModel } from './onnx/serialize.js';
export { default, type OnnxPluginOptions, onnx } from './plugin.js';
export { calibrateRanges, type TensorRange } from './quantize/calibrate.js';
export { type QdqSummary, quantizeQdq } from './quantize/qdq.js';
export { OnnxLoadedModel } from './runtime/onnx-loaded-model.js';
export {
  ONNX_ARTIFACT,
  ONNX_INT8_ARTIFACT,
  OnnxRuntime,
  type OnnxRuntimeOptions,
} from './runtime/onnx-runtime.js';
export { createSession, runBatch, type SessionThreads } from './runtime/session.js';
export { type ExportedOnnx, type ExportInputs, exportOnnx } from './stage/export-onnx.js';
export type { OnnxExporterOptions } from './stage/exporter-options.js';
export { OnnxExporter } from './stage/onnx-exporter.js';
export { PLUGIN_ONNX_VERSION } from './version.js';
