import type { ImageInput, LoadedModel, Prediction } from '@mlops/core';

/** Micro-batching settings. */
export interface BatchingOptions {
  /** Most images in one flushed `predict` call. Default 16. */
  maxBatchSize?: number;
  /**
   * Longest wait, in ms, of a request queued while the model is busy (an idle model takes the
   * queue at the end of the current event-loop turn). Default 2.
   */
  maxWaitMs?: number;
}

/** Default {@link BatchingOptions.maxBatchSize}. */
export const DEFAULT_MAX_BATCH_SIZE = 16;
/** Default {@link BatchingOptions.maxWaitMs}. */
export const DEFAULT_MAX_WAIT_MS = 2;

/** Observers of a {@link MicroBatcher}. */
export interface BatcherHooks {
  /** Called with the number of images of every `predict` call made. */
  onFlush?(size: number): void;
  /** Called with the seconds each request waited in the queue. */
  onWait?(seconds: number): void;
}

interface Pending {
  images: ImageInput[];
  topK: number;
  enqueued: number;
  resolve(value: Prediction[]): void;
  reject(error: unknown): void;
}

/**
 * Queues concurrent predicts on one loaded model and runs them as one `predict` call, adapting to
 * the load: while the model is idle, the queue is flushed at the end of the current event-loop
 * turn (`setImmediate`: the requests that arrived together, no added wait, so a lone request is
 * not delayed); while a call is running, requests collect until it finishes, `maxWaitMs` after
 * the first of them, or `maxBatchSize` images, whichever comes first. Every caller gets its own
 * results (cut to its own `topK`); an error of the call rejects all its callers. A request with
 * more than `maxBatchSize` images runs alone.
 */
export class MicroBatcher {
  private readonly maxBatchSize: number;
  private readonly maxWaitMs: number;
  private queue: Pending[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** Model calls started by this batcher and not finished. */
  private running = 0;

  constructor(
    private readonly model: LoadedModel,
    options: BatchingOptions = {},
    private readonly hooks: BatcherHooks = {},
  ) {
    this.maxBatchSize = Math.max(1, Math.floor(options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE));
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
  }

  /** Predicts `images` as part of the next batch. */
  predict(images: ImageInput[], topK: number): Promise<Prediction[]> {
    if (images.length === 0) return Promise.resolve([]);
    if (images.length > this.maxBatchSize) {
      this.hooks.onWait?.(0);
      return this.run(images, topK);
    }
    if (this.queued + images.length > this.maxBatchSize) this.flush();
    return new Promise<Prediction[]>((resolve, reject) => {
      this.queue.push({ images, topK, enqueued: performance.now(), resolve, reject });
      this.queued += images.length;
      if (this.queued >= this.maxBatchSize) this.flush();
      else if (this.running === 0) this.immediate ??= setImmediate(() => this.flush());
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private run(images: ImageInput[], topK: number): Promise<Prediction[]> {
    this.hooks.onFlush?.(images.length);
    this.running += 1;
    let call: Promise<Prediction[]>;
    try {
      call = this.model.predict(images, topK);
    } catch (error) {
      call = Promise.reject(error);
    }
    const done = () => {
      this.running -= 1;
      // The model is free: what queued up while it was busy goes next, without waiting for the
      // timer (after this batch's callers are answered, with whatever else arrives this turn).
      if (this.running === 0 && this.queue.length > 0) this.immediate ??= setImmediate(() => this.flush());
    };
    call.then(done, done);
    return call;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    if (batch.length === 0) return;
    const now = performance.now();
    for (const item of batch) this.hooks.onWait?.((now - item.enqueued) / 1000);
    const images = batch.flatMap((item) => item.images);
    const topK = Math.max(...batch.map((item) => item.topK));
    this.run(images, topK).then(
      (results) => {
        if (!Array.isArray(results) || results.length !== images.length) {
          const error = new Error(
            `model returned ${results?.length} predictions for ${images.length} images`,
          );
          for (const item of batch) item.reject(error);
          return;
        }
        let at = 0;
        for (const item of batch) {
          const own = results.slice(at, at + item.images.length);
          at += item.images.length;
          item.resolve(own.map((p) => ({ ...p, top: p.top.slice(0, item.topK) })));
        }
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
  }
}
