/**
 * Model file I/O without tfjs-node: atomic `model.json` + `weights.bin` directories in the tfjs
 * `file://` format, and parameter counting.
 */
export type { DirectoryFile } from './atomic-dir.js';
export { writeDirectoryAtomically } from './atomic-dir.js';
export { fileSystemLoader } from './fs-loader.js';
export type { FileSystemSaverOptions } from './fs-saver.js';
export { fileSystemSaver } from './fs-saver.js';
export type { IntegrityRecord } from './integrity.js';
export { INTEGRITY_KEY } from './integrity.js';
export type { JsonValue, ModelMetadata } from './metadata.js';
export type { StoredModelJson } from './model-json.js';
export { MODEL_JSON_FILE, WEIGHTS_BIN_FILE } from './model-json.js';
export type { ParameterCount } from './parameter-count.js';
export { modelParameterCount } from './parameter-count.js';
export type { LoadModelOptions } from './save-load.js';
export { loadModel, saveModel } from './save-load.js';
