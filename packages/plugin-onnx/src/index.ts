/**
 * @mlops/plugin-onnx — not implemented yet (issue #3). The package exists so the monorepo layout and
 * release configuration are in place; it exports only its planned scope.
 *
 * @packageDocumentation
 */

/** What this package will provide, for tooling that lists the workspace. */
export const PLANNED_SCOPE = 'mlops ONNX export, int8 quantization and onnxruntime-node inference.';
