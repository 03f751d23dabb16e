import { resolve } from 'node:path';
import { MlopsError } from '../errors.js';
import type { DataSource } from '../services/data-source.js';

/**
 * The `imagefolder` data source: an ImageFolder tree on disk at `data.path` (relative to the
 * config file), used as it is.
 */
export const imageFolderSource: DataSource = {
  name: 'imagefolder',
  async prepare(ctx) {
    const path = ctx.config.data.path;
    if (path === undefined || path === '') {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        'data.path is required when data.source is "imagefolder"',
        {
          hint: "Set data.path to the ImageFolder tree (<split>/<class>/<image>), e.g. data: { source: 'imagefolder', path: './data/vehicles' }.",
        },
      );
    }
    return resolve(ctx.config.root, path);
  },
};
