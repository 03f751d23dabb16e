/**
 * The contract between the input pipeline and the trainer/evaluator: batches of preprocessed
 * images as plain typed arrays, so the pipeline can run in worker threads and the trainer owns
 * all tensors.
 */

/** One batch: `n` images NHWC float32 (normalized), and their class indices. */
export interface Batch {
  /** Pixels, `n * height * width * channels`, normalized. */
  x: Float32Array;
  /** Class index per image. */
  y: Int32Array;
  /** Number of images in the batch (the last batch may be smaller). */
  n: number;
}

/** Shape of every image a source yields. */
export interface BatchShape {
  /** Height. */
  height: number;
  /** Width. */
  width: number;
  /** Channels. */
  channels: number;
}

/**
 * A split's images as batches. Training sources shuffle and augment per epoch, deterministically
 * from the seed and the epoch number (so a resumed run sees the same batches); evaluation sources
 * yield in a fixed order without augmentation.
 */
export interface BatchSource {
  /** Image shape. */
  readonly shape: BatchShape;
  /** Number of images. */
  readonly size: number;
  /** Number of classes. */
  readonly numClasses: number;
  /** Batches of one epoch (epoch is 1-based). */
  batches(epoch: number, batchSize: number): AsyncIterable<Batch>;
  /**
   * Batches per epoch at `batchSize` (e.g. without the last partial batch when it is dropped);
   * when absent the trainer assumes `ceil(size / batchSize)`.
   */
  batchCount?(batchSize: number): number;
  /** Releases workers and buffers. */
  close(): Promise<void>;
}
