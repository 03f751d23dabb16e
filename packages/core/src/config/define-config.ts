import type { UserConfig } from './types.js';

/**
 * Gives `mlops.config.ts` full types and completion. Returns its argument unchanged.
 *
 * @example
 * ```ts
 * import { defineConfig } from '@mlops/core';
 * import { tfjs } from '@mlops/plugin-tfjs';
 * export default defineConfig({
 *   extends: './configs/fashion-mnist.yaml',
 *   plugins: [tfjs()],
 *   train: { epochs: 5 },
 * });
 * ```
 */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}
