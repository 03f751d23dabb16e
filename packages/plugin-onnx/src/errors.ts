/**
 * The error codes `@mlops/plugin-onnx` declares (`MLOPS_ONNX_ERR_*`). A damaged stored ONNX file is
 * core's `MLOPS_ERR_STORE_CORRUPT`; `docs/errors.md` lists both.
 */
import { defineErrorCatalogue } from '@mlops/core';

/** The codes `@mlops/plugin-onnx` declares; call sites use `onnxErrors.create(code, message, { hint })`. */
export const onnxErrors = defineErrorCatalogue('@mlops/plugin-onnx', {
  MLOPS_ONNX_ERR_UNSUPPORTED_LAYER: {
    meaning:
      'The model has a layer (or a layer option) the ONNX exporter cannot convert: its class, a shared layer, a dynamic shape, a data format or an activation.',
    hint: "Build the model from supported layers (every model-zoo architecture is), or remove 'onnx' from export.formats to export tfjs only.",
  },
  MLOPS_ONNX_ERR_PARITY: {
    meaning:
      'The exported ONNX model does not give the same probabilities as the tfjs model it was converted from.',
    hint: 'This is an exporter bug for this architecture: report it with the model.json, or remove "onnx" from export.formats.',
  },
  MLOPS_ONNX_ERR_BUDGET_UNMET: {
    meaning:
      'No exported format is inside `export.budget`: each broke a size, latency or accuracy limit (the message gives every number).',
    hint: 'Relax the limit the message names, or make the model smaller or faster (export.quantize: int8, model.widthMultiplier, model.inputSize).',
  },
  MLOPS_ONNX_ERR_NO_ARTIFACT: {
    meaning: "A registered model version has no ONNX artifact ('onnx' or 'onnx-int8') to serve.",
    hint: "Add 'onnx' to export.formats (with the onnx() plugin) and export again, or serve it with the tfjs runtime.",
  },
});

/** A code declared by `@mlops/plugin-onnx` ({@link onnxErrors}). */
export type OnnxErrorCode = (typeof onnxErrors.codes)[number];
