import type { Batch, BatchShape } from '../data/batch-source.js';

/** Distributions of one epoch, keyed as {@link NamedKernel.key}. */
export interface EpochDistributions {
  /** 1-based epoch (the tracker step of epoch metrics). */
  epoch: number;
  /** Every trainable kernel after the epoch's last step (the trained, not the EMA, weights). */
  weights: Map<string, Float32Array>;
  /** Their gradients (before clipping) on the epoch's first batch. */
  gradients: Map<string, Float32Array>;
}

/**
 * Looks into training without slowing it: the trainer hands over what it already has — the first
 * augmented batch, gradients it computed anyway — and reads weights back once per epoch.
 * Implementations must not keep or modify the arrays' underlying batch buffers after returning.
 */
export interface TrainObserver {
  /**
   * The first training batch this run trains on (augmented and normalized, as the model sees it),
   * once. Implementations copy what they keep.
   */
  onSamples?(batch: Batch, shape: BatchShape, epoch: number): void;
  /** Per epoch, after training and before validation: kernel weights and one batch's gradients. */
  onDistributions?(distributions: EpochDistributions): void;
}
