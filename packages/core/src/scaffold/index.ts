export * from './init-project.js';
export * from './options.js';
export * from './prompts.js';
export * from './render.js';
export * from './versions.js';
export * from './write-project.js';
