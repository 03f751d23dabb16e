/**
 * @mlops/plugin-tfjs — the training engine on TensorFlow.js: backend selection (with the WASM
 * training kernels tfjs lacks), model zoo, model files, input pipeline and built-in datasets,
 * trainer and evaluator.
 *
 * @packageDocumentation
 */
export * from './backend/select-backend.js';
export { registerWasmTrainingKernels } from './backend/wasm-kernels/index.js';
export * from './data/index.js';
export * from './engine/evaluation-images.js';
export * from './engine/initial-checkpoint.js';
export * from './engine/reference-stats.js';
export * from './engine/tfjs-engine.js';
export * from './engine/tfjs-exporter.js';
export * from './engine/tracker-observer.js';
export { type TfjsErrorCode, tfjsErrors } from './errors.js';
export * from './evaluate/index.js';
export * from './model-io/index.js';
export * from './models/index.js';
export * from './plugin.js';
export { default } from './plugin.js';
export * from './pretrained/index.js';
export * from './runtime/index.js';
export * from './train/index.js';
export { PLUGIN_TFJS_VERSION } from './version.js';
export * from './visualize/index.js';
