export * from './apply-plugins.js';
export * from './plugin.js';
