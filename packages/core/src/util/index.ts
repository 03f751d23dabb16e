export * from './hash.js';
export * from './json.js';
