export * from './atomic-write.js';
export * from './keyed-mutex.js';
export * from './local-artifact-store.js';
export * from './object-layout.js';
export * from './stage-cache.js';
export * from './store-root.js';
export * from './tree-manifest.js';
export * from './walk-files.js';
