import { MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import { EMA_UPDATE, type EmaUpdateAttrs } from '../backend/webgpu/kernel-names.js';
import type { NamedArray } from './named-arrays.js';
import { assignVariables, readVariables } from './variable-arrays.js';

/** Options of {@link ModelEma}. */
export interface ModelEmaOptions {
  /** Target decay, e.g. timm's `model_ema_decay` 0.9998 or REFERENCE's 0.99995. */
  decay: number;
  /**
   * Warm the decay up as `min(decay, (1 + t) / (10 + t))` over the update count `t` (default
   * true). Without it, a decay of 0.99995 averages over ~20,000 steps and an EMA of a run of a few
   * hundred steps is essentially the random initialization.
   */
  warmup?: boolean;
}

const UPDATES_ARRAY = 'updates';

/**
 * Exponential moving average of a model's weights — all of them, BatchNorm moving statistics
 * included, like timm's `ModelEmaV3` (which averages buffers too). After each optimizer step,
 * {@link update} moves every shadow towards the live weight:
 * `shadow ← d·shadow + (1 − d)·w`, with `d` from {@link ModelEma.decayAt}.
 *
 * To evaluate or save the EMA weights, {@link swapIn} puts them into the model's own variables
 * and {@link swapOut} puts the trained weights back — no second model is needed.
 */
export class ModelEma {
  /** Target decay. */
  readonly decay: number;
  /** Whether the decay warms up. */
  readonly warmup: boolean;
  private readonly weights: readonly tf.Variable[];
  private readonly shadows: tf.Variable[];
  private backup: tf.Tensor[] | undefined;
  private updateCount = 0;

  /**
   * Starts the average at the current values of `weights` (e.g.
   * `modelVariables(model)`, trainable and non-trainable).
   */
  constructor(weights: readonly tf.Variable[], options: ModelEmaOptions) {
    if (!(options.decay >= 0 && options.decay < 1))
      throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `EMA decay must be in [0, 1), got ${options.decay}`, {
        hint: 'Set train.ema.decay to a value in [0, 1) (timm: 0.9998).',
      });
    this.decay = options.decay;
    this.warmup = options.warmup ?? true;
    this.weights = [...weights];
    this.shadows = this.weights.map((w) => tf.tidy(() => tf.variable(tf.clone(w), false)));
  }

  /**
   * Decay used by update number `t` (0-based): `min(decay, (1 + t) / (10 + t))` with warmup — the
   * warmup of TensorFlow's `ExponentialMovingAverage(num_updates)` — else `decay`. The first
   * update uses 0.1, so the average follows the weights closely early on and settles on `decay`
   * after about `9 / (1 − decay)` updates.
   */
  static decayAt(decay: number, t: number, warmup = true): number {
    return warmup ? Math.min(decay, (1 + t) / (10 + t)) : decay;
  }

  /** Updates done so far. */
  get updates(): number {
    return this.updateCount;
  }

  /** Whether the EMA weights are currently in the model (between {@link swapIn} and {@link swapOut}). */
  get swappedIn(): boolean {
    return this.backup !== undefined;
  }

  /**
   * Moves the shadows towards the current weights; returns the decay used. Shadows of weights in
   * `frozen` are left as they are: a frozen weight does not change, and averaging a constant in
   * float32 could still move its shadow by an ulp, so swapping the EMA in would alter it.
   */
  update(frozen?: ReadonlySet<tf.Variable>): number {
    if (this.backup) throw new Error('ModelEma.update() while the EMA weights are swapped in');
    const d = ModelEma.decayAt(this.decay, this.updateCount, this.warmup);
    // One fused kernel for all float32 weights where the backend has it (webgpu), else 3 ops each.
    const fused = tf.getKernel(EMA_UPDATE, tf.getBackend()) != null;
    tf.tidy(() => {
      const averaged: number[] = [];
      this.shadows.forEach((shadow, i) => {
        const weight = this.weights[i]!;
        if (frozen?.has(weight)) return;
        // Integer weights (none in the zoo today) cannot be averaged; they are tracked as-is.
        if (weight.dtype !== 'float32') shadow.assign(weight);
        else if (fused) averaged.push(i);
        else shadow.assign(tf.add(tf.mul(shadow, d), tf.mul(weight, 1 - d)));
      });
      if (averaged.length === 0) return;
      const inputs = [...averaged.map((i) => this.shadows[i]!), ...averaged.map((i) => this.weights[i]!)];
      const attrs: EmaUpdateAttrs = { decay: d };
      const outputs = tf
        .engine()
        .runKernel(
          EMA_UPDATE,
          inputs as unknown as tf.NamedTensorMap,
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
      averaged.forEach((i, k) => {
        this.shadows[i]!.assign(outputs[k]!);
      });
    });
    this.updateCount += 1;
    return d;
  }

  /** Puts the EMA weights into the model's variables, keeping the trained ones aside. */
  swapIn(): void {
    if (this.backup) throw new Error('EMA weights are already swapped in');
    // clone shares the data (no copy); it keeps the trained values alive while the variable moves on.
    this.backup = this.weights.map((w) => tf.clone(w));
    tf.tidy(() => {
      this.weights.forEach((w, i) => {
        w.assign(this.shadows[i]!);
      });
    });
  }

  /** Restores the trained weights after {@link swapIn}. */
  swapOut(): void {
    const backup = this.backup;
    if (!backup) throw new Error('EMA weights are not swapped in');
    this.weights.forEach((w, i) => {
      w.assign(backup[i]!);
    });
    tf.dispose(backup);
    this.backup = undefined;
  }

  /** Runs `fn` with the EMA weights in the model, restoring the trained ones afterwards, even on error. */
  async withEmaWeights<T>(fn: () => Promise<T> | T): Promise<T> {
    this.swapIn();
    try {
      return await fn();
    } finally {
      this.swapOut();
    }
  }

  /** Exports the update count and the shadow values. */
  async getState(): Promise<NamedArray[]> {
    return [
      { name: UPDATES_ARRAY, shape: [], values: Float32Array.of(this.updateCount) },
      ...(await readVariables(this.shadows, 'shadow/')),
    ];
  }

  /** Imports a state from {@link getState} of an EMA over the same weight shapes. */
  setState(state: readonly NamedArray[]): void {
    const updates = state.find((a) => a.name === UPDATES_ARRAY);
    if (updates?.values.length !== 1)
      throw new MlopsError('MLOPS_ERR_CHECKPOINT_MISMATCH', 'EMA state has no update count', {
        hint: 'The checkpoint was written without EMA: resume with train.ema as it was, or start afresh (mlops run train --force).',
      });
    assignVariables(this.shadows, state, 'shadow/');
    this.updateCount = updates.values[0]!;
  }

  /** Frees the shadows (restoring the trained weights first if swapped in). */
  dispose(): void {
    if (this.backup) this.swapOut();
    for (const shadow of this.shadows) shadow.dispose();
  }
}
