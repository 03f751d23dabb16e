export { CORE_TAP_NAME, corePlugin, runExporters } from './core-plugin.js';
export * from './export-budget.js';
export * from './pipeline.js';
export { registerExportedModel } from './register-model.js';
export * from './run-explanations.js';
export * from './stage-context.js';
export * from './stage-inputs.js';
export * from './stage-outputs.js';
