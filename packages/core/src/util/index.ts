export * from './hash.js';
export * from './json.js';
export * from './map-limit.js';
