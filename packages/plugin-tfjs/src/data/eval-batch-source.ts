import type { NormalizeConfig } from '@mlops/core';
import type { Batch, BatchShape, BatchSource } from './batch-source.js';
import { type DecodedSplit, imageBytes } from './decoded-split.js';
import { type ChannelStats, normalizeUint8 } from './normalize.js';
import { resolveNormalize } from './normalize-config.js';

/** Options of {@link EvalBatchSource}. */
export interface EvalBatchSourceOptions {
  /** The decoded split (validation or test). */
  dataset: DecodedSplit;
  /** Normalization (`data.normalize`); default mean 0.5, std 0.5. */
  normalize?: NormalizeConfig;
}

/**
 * Evaluation batches: the split in its stored order, normalized, without augmentation. The same
 * batches every epoch. Normalizing is cheap next to a forward pass, so it runs in the caller's
 * thread.
 */
export class EvalBatchSource implements BatchSource {
  /** Image shape. */
  readonly shape: BatchShape;
  /** Number of images. */
  readonly size: number;
  /** Number of classes. */
  readonly numClasses: number;
  private readonly dataset: DecodedSplit;
  private readonly stats: ChannelStats;

  /** Wraps a decoded split. */
  constructor(options: EvalBatchSourceOptions) {
    this.dataset = options.dataset;
    this.shape = { height: this.dataset.height, width: this.dataset.width, channels: this.dataset.channels };
    this.size = this.dataset.count;
    this.numClasses = this.dataset.classes.length;
    this.stats = resolveNormalize(options.normalize, this.dataset.channels);
  }

  /** Batches in stored order; `epoch` does not matter. */
  async *batches(_epoch: number, batchSize: number): AsyncIterable<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
    const length = imageBytes(this.dataset);
    for (let start = 0; start < this.size; start += batchSize) {
      const n = Math.min(batchSize, this.size - start);
      const x = new Float32Array(n * length);
      normalizeUint8(this.dataset.images, start * length, n * length, x, 0, this.stats);
      yield { x, y: this.dataset.labels.slice(start, start + n), n };
    }
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}
