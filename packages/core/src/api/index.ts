export * from './context.js';
export * from './data.js';
export * from './registry.js';
export * from './run.js';
export * from './runs.js';
