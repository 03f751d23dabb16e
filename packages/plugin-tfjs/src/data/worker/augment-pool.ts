import { Worker } from 'node:worker_threads';
import type { ImageShape } from '../augment/augment-batch.js';
import type { AugmentParams } from '../augment/augment-params.js';
import { augmentWorkerSource } from './augment-worker-source.js';

/** What every worker of an {@link AugmentWorkerPool} is given once. */
export interface AugmentWorkerInit {
  /** All images of the split, on a SharedArrayBuffer (shared with the workers, not copied). */
  images: Uint8Array;
  /** Image shape. */
  shape: ImageShape;
  /** Augmentation recipe. */
  params: AugmentParams;
  /** Seed. */
  seed: number;
}

interface Slot {
  worker: Worker;
  inflight: number;
}

interface Job {
  slot: Slot;
  resolve(x: Float32Array): void;
  reject(error: Error): void;
}

type Reply = { id: number; x: Float32Array } | { id: number; error: string };

/**
 * A few worker threads that augment batches. Each job goes to the least busy worker; jobs queue
 * in the workers' message ports. Idle workers do not keep the process alive (they are unref'd
 * while they have nothing in flight).
 */
export class AugmentWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  /** Starts `size` workers and sends each the dataset and recipe. */
  constructor(size: number, init: AugmentWorkerInit) {
    const source = augmentWorkerSource();
    for (let i = 0; i < size; i++) {
      const worker = new Worker(source, { eval: true, name: `mlops-augment-${i}` });
      const slot: Slot = { worker, inflight: 0 };
      worker.unref();
      worker.on('message', (reply: Reply) => this.settle(reply));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`augmentation worker ${i} exited with code ${code}`));
      });
      worker.postMessage({ type: 'init', ...init });
      this.slots.push(slot);
    }
  }

  /** Augments the images at `indices` for `epoch`; resolves to the normalized pixels. */
  run(epoch: number, indices: Int32Array): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the augmentation worker pool is closed'));
    let slot = this.slots[0] as Slot;
    for (const candidate of this.slots) if (candidate.inflight < slot.inflight) slot = candidate;
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.jobs.set(id, { slot, resolve, reject });
      if (slot.inflight++ === 0) slot.worker.ref();
      // A copy: cloning a view would copy the whole permutation buffer behind it.
      slot.worker.postMessage({ type: 'job', id, epoch, indices: indices.slice() });
    });
  }

  /** Stops the workers; jobs still in flight are rejected. */
  async close(): Promise<void> {
    this.closing = true;
    this.rejectAll(new Error('the augmentation worker pool was closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private settle(reply: Reply): void {
    const job = this.jobs.get(reply.id);
    if (!job) return;
    this.jobs.delete(reply.id);
    if (--job.slot.inflight === 0) job.slot.worker.unref();
    if ('error' in reply) job.reject(new Error(`augmentation failed in a worker thread: ${reply.error}`));
    else job.resolve(reply.x);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.rejectAll(error);
  }

  private rejectAll(error: Error): void {
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
    for (const slot of this.slots) {
      if (slot.inflight > 0) slot.worker.unref();
      slot.inflight = 0;
    }
  }
}
