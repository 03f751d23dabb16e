export * from './config-layers.js';
export * from './defaults.js';
export * from './define-config.js';
export * from './load-config.js';
export { configSchema } from './schema.js';
export * from './set-overrides.js';
export * from './timm-keys.js';
export * from './types.js';
export * from './yaml-preset.js';
