/**
 * @mlops/plugin-wandb — not implemented yet (issue #6). The package exists so the monorepo layout and
 * release configuration are in place; it exports only its planned scope.
 *
 * @packageDocumentation
 */

/** What this package will provide, for tooling that lists the workspace. */
export const PLANNED_SCOPE = 'mlops Weights & Biases tracking and model registry.';
