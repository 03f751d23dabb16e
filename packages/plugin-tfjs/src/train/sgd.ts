import * as tf from '@tensorflow/tfjs-core';
import {
  decayOnlyMatrices,
  type ParameterLrScale,
  SlotOptimizer,
  type WeightDecayFilter,
} from './optimizer.js';

/** Hyperparameters of {@link SgdMomentum}. */
export interface SgdOptions {
  /** Initial learning rate (a schedule usually overwrites it every step). */
  learningRate: number;
  /** Momentum; default 0.9. */
  momentum?: number;
  /** Nesterov momentum; default true, because timm's `opt: sgd` is Nesterov SGD (`momentum` is the plain one). */
  nesterov?: boolean;
  /** L2 weight decay added to the gradient; default 0. */
  weightDecay?: number;
  /** Which parameters are decayed; default: rank > 1 only. */
  decayFilter?: WeightDecayFilter;
  /** Per-parameter learning-rate multiplier (layer-wise decay); default 1. */
  lrScale?: ParameterLrScale;
}

/**
 * SGD with momentum, as `torch.optim.SGD` (no dampening):
 *
 * ```
 * g ← g + wd·w          (where decayFilter allows)
 * b ← μ·b + g           (b starts at 0, so the first step gives b = g, as PyTorch's clone)
 * d ← nesterov ? g + μ·b : b
 * w ← w − lr·d          (lr: the scheduled rate times the parameter's lrScale)
 * ```
 */
export class SgdMomentum extends SlotOptimizer {
  /** `sgd`. */
  readonly name = 'sgd';
  /** μ. */
  readonly momentum: number;
  /** Whether the update looks ahead along the momentum. */
  readonly nesterov: boolean;
  /** Weight-decay coefficient. */
  readonly weightDecay: number;

  /** Creates the optimizer over `params`; momentum buffers start at zero. */
  constructor(params: readonly tf.Variable[], options: SgdOptions) {
    super(
      params,
      options.learningRate,
      ['momentum'],
      options.decayFilter ?? decayOnlyMatrices,
      options.lrScale,
    );
    this.momentum = options.momentum ?? 0.9;
    this.nesterov = options.nesterov ?? true;
    this.weightDecay = options.weightDecay ?? 0;
  }

  /** See {@link SlotOptimizer.updateParameter}. */
  protected override updateParameter(index: number, grad: tf.Tensor): void {
    const param = this.params[index]!;
    const buffer = this.slots[0]![index]!;
    const decay = this.decays[index] ? this.weightDecay : 0;
    const g = decay !== 0 ? tf.add(grad, tf.mul(param, decay)) : grad;
    const newBuffer = tf.add(tf.mul(buffer, this.momentum), g);
    const direction = this.nesterov ? tf.add(g, tf.mul(newBuffer, this.momentum)) : newBuffer;
    buffer.assign(newBuffer);
    param.assign(tf.sub(param, tf.mul(direction, this.learningRateOf(index))));
  }
}
