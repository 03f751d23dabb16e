import { availableParallelism } from 'node:os';
import { type AugmentConfig, MlopsError, type NormalizeConfig } from '@mlops/core';
import { augmentBatch } from './augment/augment-batch.js';
import { type AugmentParams, augmentParams } from './augment/augment-params.js';
import { augmentKernels } from './augment/kernels.js';
import type { Batch, BatchShape, BatchSource } from './batch-source.js';
import { type DecodedSplit, imageBytes } from './decoded-split.js';
import { resolveNormalize } from './normalize-config.js';
import { epochPermutation } from './rng.js';
import { AugmentWorkerPool } from './worker/augment-pool.js';

/** Options of {@link TrainBatchSource}. */
export interface TrainBatchSourceOptions {
  /** The decoded training split. */
  dataset: DecodedSplit;
  /** Augmentations (`train.augment`). */
  augment: AugmentConfig;
  /** Normalization (`data.normalize`); default mean 0.5, std 0.5. */
  normalize?: NormalizeConfig;
  /** Seed of shuffling and augmentation (`train.seed`). */
  seed: number;
  /**
   * Worker threads augmenting ahead of the trainer; 0 augments in the calling thread when a
   * batch is asked for. Default: one less than the CPU count, between 1 and 4 (1 on 2 cores).
   * Results are identical for every value.
   */
  workers?: number;
  /** Batches kept in flight or ready ahead of the trainer. Default max(2, 2 × workers). */
  prefetch?: number;
  /**
   * Leave out the last batch when it is smaller than the batch size. Default true, as timm's
   * training loader (`drop_last=True`): a short last batch is a noisier step, and a batch of one
   * image gives BatchNorm a batch variance of zero. A split smaller than one batch still trains,
   * on one partial batch.
   */
  dropLast?: boolean;
}

/**
 * Training batches: each epoch a permutation of the split from (seed, epoch), each image
 * augmented from (seed, epoch, image index), normalized. With workers, augmentation runs in
 * worker threads that share the decoded images through a SharedArrayBuffer and keep up to
 * `prefetch` batches ready, so a slower trainer never waits for the pipeline.
 */
export class TrainBatchSource implements BatchSource {
  /** Image shape. */
  readonly shape: BatchShape;
  /** Number of images. */
  readonly size: number;
  /** Number of classes. */
  readonly numClasses: number;
  private readonly dataset: DecodedSplit;
  private readonly params: AugmentParams;
  private readonly seed: number;
  private readonly prefetch: number;
  private readonly dropLast: boolean;
  private readonly pool: AugmentWorkerPool | undefined;

  /** Validates the options and starts the workers. */
  constructor(options: TrainBatchSourceOptions) {
    const { dataset } = options;
    this.dataset = shared(dataset);
    this.shape = { height: dataset.height, width: dataset.width, channels: dataset.channels };
    this.size = dataset.count;
    this.numClasses = dataset.classes.length;
    this.params = augmentParams(options.augment, resolveNormalize(options.normalize, dataset.channels));
    this.seed = options.seed;
    this.dropLast = options.dropLast ?? true;
    const workers = options.workers ?? Math.min(4, Math.max(1, availableParallelism() - 1));
    if (!Number.isInteger(workers) || workers < 0) {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `input pipeline workers must be a whole number >= 0, got ${workers}`,
        {
          hint: 'Use 0 to augment in the training thread, or 1–4 worker threads.',
        },
      );
    }
    this.prefetch = Math.max(1, options.prefetch ?? Math.max(2, 2 * workers));
    this.pool =
      workers > 0
        ? new AugmentWorkerPool(workers, {
            images: this.dataset.images,
            shape: this.shape,
            params: this.params,
            seed: this.seed,
          })
        : undefined;
  }

  /** The order images are visited in `epoch`. */
  order(epoch: number): Int32Array {
    return epochPermutation(this.size, this.seed, epoch);
  }

  /** Batches of one epoch (1-based), shuffled and augmented deterministically. */
  async *batches(epoch: number, batchSize: number): AsyncIterable<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `batch size must be a positive integer, got ${batchSize}`,
        {
          hint: 'Set train.batchSize to a whole number such as 64.',
        },
      );
    }
    const order = this.order(epoch);
    const count = this.batchCount(batchSize);
    const slice = (b: number): Int32Array =>
      order.subarray(b * batchSize, Math.min((b + 1) * batchSize, this.size));
    const pool = this.pool;
    if (!pool) {
      for (let b = 0; b < count; b++) yield this.augmentHere(epoch, slice(b));
      return;
    }
    const ahead: Promise<Batch>[] = [];
    let next = 0;
    const schedule = (): void => {
      const indices = slice(next++);
      const batch = pool.run(epoch, indices).then((x) => this.batchOf(indices, x));
      // Rejections are observed when the batch is awaited; a batch dropped because the loop ended
      // early must not surface as an unhandled rejection.
      batch.catch(() => {});
      ahead.push(batch);
    };
    while (next < count && ahead.length < this.prefetch) schedule();
    for (let b = 0; b < count; b++) {
      const batch = await (ahead.shift() as Promise<Batch>);
      if (next < count) schedule();
      yield batch;
    }
  }

  /**
   * Batches per epoch: `floor(size / batchSize)` when the last partial batch is dropped (but at
   * least one, so a split smaller than a batch still trains), else `ceil(size / batchSize)`.
   */
  batchCount(batchSize: number): number {
    const full = Math.floor(this.size / batchSize);
    if (full * batchSize === this.size) return full;
    return this.dropLast && full > 0 ? full : full + 1;
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  private augmentHere(epoch: number, indices: Int32Array): Batch {
    const x = new Float32Array(indices.length * imageBytes(this.dataset));
    augmentBatch(augmentKernels, this.dataset.images, this.shape, this.params, this.seed, epoch, indices, x);
    return this.batchOf(indices, x);
  }

  private batchOf(indices: Int32Array, x: Float32Array): Batch {
    const y = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) y[i] = this.dataset.labels[indices[i] as number] as number;
    return { x, y, n: indices.length };
  }
}

/** The split with its images on a SharedArrayBuffer (copied once if they are not). */
function shared(dataset: DecodedSplit): DecodedSplit {
  if (dataset.images.buffer instanceof SharedArrayBuffer) return dataset;
  const images = new Uint8Array(new SharedArrayBuffer(dataset.images.byteLength));
  images.set(dataset.images);
  return { ...dataset, images };
}
