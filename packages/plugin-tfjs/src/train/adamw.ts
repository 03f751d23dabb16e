import * as tf from '@tensorflow/tfjs-core';
import { ADAMW_UPDATE, type AdamWUpdateAttrs } from '../backend/wasm-kernels/optimizer-kernels.js';
import {
  decayOnlyMatrices,
  type ParameterLrScale,
  SlotOptimizer,
  type WeightDecayFilter,
} from './optimizer.js';

/** Hyperparameters of {@link AdamW} and {@link Adam}. */
export interface AdamOptions {
  /** Initial learning rate (a schedule usually overwrites it every step). */
  learningRate: number;
  /** Moment decay rates `[beta1, beta2]`; default `[0.9, 0.999]`. */
  betas?: [number, number];
  /** Denominator fuzz; default `1e-8` (PyTorch's, which timm keeps). */
  eps?: number;
  /** Weight decay; default 0. Decoupled for AdamW, an L2 gradient term for Adam. */
  weightDecay?: number;
  /** Which parameters are decayed; default: rank > 1 only (see {@link decayOnlyMatrices}). */
  decayFilter?: WeightDecayFilter;
  /** Per-parameter learning-rate multiplier (layer-wise decay); default 1. Scales the decay too. */
  lrScale?: ParameterLrScale;
}

/**
 * AdamW (Loshchilov & Hutter), step for step what PyTorch's `torch.optim.AdamW` does — the
 * optimizer timm's `opt: adamw` creates:
 *
 * ```
 * w ← w · (1 − lr·wd)                        (decoupled decay, only where decayFilter allows)
 * m ← β1·m + (1 − β1)·g
 * v ← β2·v + (1 − β2)·g²
 * w ← w − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 * ```
 *
 * `lr` is the parameter's own (the scheduled rate times its `lrScale`, as a PyTorch param group's
 * `lr · lr_scale`), and `t` counts the parameter's own updates, as PyTorch's per-parameter
 * `state['step']`.
 */
export class AdamW extends SlotOptimizer {
  /** `adamw`. */
  readonly name: 'adamw' | 'adam' = 'adamw';
  /** β1. */
  readonly beta1: number;
  /** β2. */
  readonly beta2: number;
  /** ε. */
  readonly eps: number;
  /** Weight-decay coefficient. */
  readonly weightDecay: number;
  /** True: decay is subtracted from the weights (AdamW); false: added to the gradient (Adam + L2). */
  protected readonly decoupled: boolean = true;

  /** Creates the optimizer over `params`; slots start at zero. */
  constructor(params: readonly tf.Variable[], options: AdamOptions) {
    super(
      params,
      options.learningRate,
      ['m', 'v'],
      options.decayFilter ?? decayOnlyMatrices,
      options.lrScale,
    );
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  /**
   * All parameters in one fused kernel where the backend has it (wasm): the same float32
   * operations in the same order as {@link updateParameter}, so the same values, for one kernel
   * call per step instead of 14 per parameter. See {@link SlotOptimizer.updateParameters}.
   */
  protected override updateParameters(
    items: readonly { index: number; grad: tf.Tensor; step: number }[],
  ): boolean {
    if (!this.decoupled || items.length === 0 || tf.getKernel(ADAMW_UPDATE, tf.getBackend()) == null)
      return false;
    const inputs: tf.Tensor[] = [];
    const attrs: AdamWUpdateAttrs = {
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      decay: [],
      biasCorrection2Sqrt: [],
      stepSize: [],
    };
    for (const { index, grad, step } of items) {
      const lr = this.learningRateOf(index);
      const decay = this.decays[index] ? this.weightDecay : 0;
      inputs.push(this.params[index]!, grad, this.slots[0]![index]!, this.slots[1]![index]!);
      attrs.decay.push(decay !== 0 ? 1 - lr * decay : 1);
      attrs.biasCorrection2Sqrt.push(Math.sqrt(1 - this.beta2 ** step));
      attrs.stepSize.push(lr / (1 - this.beta1 ** step));
    }
    const outputs = tf
      .engine()
      .runKernel(
        ADAMW_UPDATE,
        inputs as unknown as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
    items.forEach(({ index }, i) => {
      this.slots[0]![index]!.assign(outputs[3 * i + 1]!);
      this.slots[1]![index]!.assign(outputs[3 * i + 2]!);
      this.params[index]!.assign(outputs[3 * i]!);
    });
    return true;
  }

  /** See {@link SlotOptimizer.updateParameter}. */
  protected override updateParameter(index: number, grad: tf.Tensor, step: number): void {
    const param = this.params[index]!;
    const m = this.slots[0]![index]!;
    const v = this.slots[1]![index]!;
    const lr = this.learningRateOf(index);
    const decay = this.decays[index] ? this.weightDecay : 0;
    const biasCorrection1 = 1 - this.beta1 ** step;
    const biasCorrection2Sqrt = Math.sqrt(1 - this.beta2 ** step);

    let weights: tf.Tensor = param;
    let g = grad;
    if (decay !== 0 && this.decoupled) weights = tf.mul(param, 1 - lr * decay);
    if (decay !== 0 && !this.decoupled) g = tf.add(grad, tf.mul(param, decay));

    const newM = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
    const newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
    const denominator = tf.add(tf.div(tf.sqrt(newV), biasCorrection2Sqrt), this.eps);
    const update = tf.mul(tf.div(newM, denominator), lr / biasCorrection1);

    m.assign(newM);
    v.assign(newV);
    param.assign(tf.sub(weights, update));
  }
}

/**
 * Plain Adam (`torch.optim.Adam`, timm's `opt: adam`): weight decay is classic L2 — `wd·w` added
 * to the gradient before the moments — rather than decoupled. Otherwise identical to
 * {@link AdamW}.
 */
export class Adam extends AdamW {
  /** `adam`. */
  override readonly name = 'adam';
  protected override readonly decoupled: boolean = false;
}
