export * from './history-file.js';
export * from './local-model-registry.js';
export * from './model-file.js';
export * from './model-file-ops.js';
export * from './model-lock.js';
export * from './names.js';
export * from './promotion-gate.js';
export * from './watch-history.js';
