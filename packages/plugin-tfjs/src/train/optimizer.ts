import type { TrainConfig } from '@mlops/core';
import { MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from './named-arrays.js';
import { assignVariables, readVariables } from './variable-arrays.js';

/** Optimizer names the trainer understands: core's `TrainConfig.optimizer`. */
export type OptimizerName = TrainConfig['optimizer'];

/** Decides whether a parameter gets weight decay. */
export type WeightDecayFilter = (param: tf.Variable) => boolean;

/**
 * timm's rule (`param_groups_weight_decay`): no decay for parameters of rank ≤ 1 — biases,
 * BatchNorm gamma/beta, layer-scale vectors. In tfjs every bias is 1-D, so the rank test alone
 * covers timm's extra `.bias` name test.
 */
export const decayOnlyMatrices: WeightDecayFilter = (param) => param.rank > 1;

/**
 * Learning-rate multiplier of a parameter (timm's per-group `lr_scale`, e.g. from layer-wise
 * decay): the parameter is updated with `learningRate · scale`. Must be finite and > 0.
 */
export type ParameterLrScale = (param: tf.Variable) => number;

/**
 * An optimizer over a fixed list of `tf.Variable`s, fed the gradient map of `tf.variableGrads`.
 * The learning rate is a plain field so a schedule can set it before every step; the state
 * (step count and per-parameter slots) can be exported and imported to resume a run.
 */
export interface ParameterOptimizer {
  /** Which algorithm this is. */
  readonly name: OptimizerName;
  /** Learning rate used by the next {@link applyGradients} call. */
  learningRate: number;
  /** Steps taken so far (restored by {@link setState}). */
  readonly steps: number;
  /**
   * Applies one update. `grads` maps variable names (as `tf.variableGrads` returns them) to
   * gradients; variables without a gradient are left untouched, as in PyTorch. The gradients are
   * not disposed.
   */
  applyGradients(grads: tf.NamedTensorMap): void;
  /** Exports the step count and slots (moments, momentum buffers). */
  getState(): Promise<NamedArray[]>;
  /** Imports a state from {@link getState} of an optimizer over the same parameter shapes. */
  setState(state: readonly NamedArray[]): void;
  /** Frees the slot variables. */
  dispose(): void;
}

const STEP_ARRAY = 'step';
const PARAM_STEPS_ARRAY = 'param_steps';

/**
 * Shared machinery: parameter lookup by variable name, zero-initialized slot variables per
 * parameter, step counting and state export. Subclasses implement the per-parameter math.
 *
 * Like PyTorch, which creates a parameter's state (`step`, moments) on its first gradient, each
 * parameter counts its own updates: a parameter that gets no gradient for a while — frozen, then
 * unfrozen — starts from zero slots and step 1, so its first update is as clean (and as
 * bias-corrected) as at the start of a run. Per-parameter learning-rate scales (layer-wise decay)
 * are folded into the scalar learning rate of that parameter's update: no extra tensor op.
 */
export abstract class SlotOptimizer implements ParameterOptimizer {
  abstract readonly name: OptimizerName;
  /** Learning rate of the next step. */
  learningRate: number;
  /** Optimized parameters, in the order given to the constructor (state is keyed by this index). */
  protected readonly params: readonly tf.Variable[];
  /** `slots[s][i]`: slot `s` (e.g. first moment) of parameter `i`. */
  protected readonly slots: readonly tf.Variable[][];
  /** Whether parameter `i` gets weight decay. */
  protected readonly decays: readonly boolean[];
  /** Learning-rate multiplier of parameter `i` (1 unless a {@link ParameterLrScale} says otherwise). */
  protected readonly lrScales: readonly number[];
  private readonly indexByName: Map<string, number>;
  private readonly slotNames: readonly string[];
  private stepCount = 0;
  /** Updates parameter `i` has received (its bias-correction step). */
  private readonly paramSteps: number[];

  /**
   * @param params Variables to optimize (e.g. `trainableVariables(model)`).
   * @param learningRate Initial learning rate.
   * @param slotNames Names of the per-parameter state slots (`m`, `v`, `momentum`).
   * @param decayFilter Which parameters get weight decay.
   * @param lrScale Per-parameter learning-rate multiplier; default 1 for all.
   */
  protected constructor(
    params: readonly tf.Variable[],
    learningRate: number,
    slotNames: readonly string[],
    decayFilter: WeightDecayFilter,
    lrScale?: ParameterLrScale,
  ) {
    this.params = [...params];
    this.learningRate = learningRate;
    this.slotNames = slotNames;
    this.indexByName = new Map(this.params.map((p, i) => [p.name, i]));
    if (this.indexByName.size !== this.params.length)
      throw new Error('Optimizer parameters must be distinct');
    this.decays = this.params.map((p) => decayFilter(p));
    this.lrScales = this.params.map((p) => {
      const scale = lrScale ? lrScale(p) : 1;
      if (!(Number.isFinite(scale) && scale > 0)) {
        throw new Error(`Learning-rate scale of ${p.name} must be a finite number > 0, got ${scale}`);
      }
      return scale;
    });
    this.paramSteps = this.params.map(() => 0);
    // tidy frees the zerosLike temporaries; the variables keep their data by reference.
    this.slots = slotNames.map(() =>
      this.params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false))),
    );
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Learning rate parameter `index` is updated with: {@link learningRate} times its scale. */
  protected learningRateOf(index: number): number {
    return this.learningRate * this.lrScales[index]!;
  }

  /** See {@link ParameterOptimizer.applyGradients}. */
  applyGradients(grads: tf.NamedTensorMap): void {
    // Checked up front, so a bad map updates nothing.
    const updates = Object.entries(grads).map(([name, grad]) => {
      const index = this.indexByName.get(name);
      if (index === undefined) throw new Error(`Gradient for unknown variable '${name}'`);
      return { index, grad };
    });
    this.stepCount += 1;
    tf.tidy(() => {
      const items = updates.map(({ index, grad }) => {
        this.paramSteps[index]! += 1;
        return { index, grad, step: this.paramSteps[index]! };
      });
      if (this.updateParameters(items)) return;
      for (const { index, grad, step } of items) this.updateParameter(index, grad, step);
    });
  }

  /**
   * Updates several parameters at once (e.g. with one fused kernel); returns false to have each
   * updated by {@link updateParameter} instead, which is what this default does. Runs inside
   * `tf.tidy`; `step` is each parameter's own 1-based update count.
   */
  protected updateParameters(_items: readonly { index: number; grad: tf.Tensor; step: number }[]): boolean {
    return false;
  }

  /**
   * Updates parameter `index` (and its slots) in place with `grad`. Runs inside `tf.tidy`, so
   * temporaries need no disposal; `step` is the parameter's own 1-based update count (for bias
   * correction), and {@link learningRateOf} its learning rate.
   */
  protected abstract updateParameter(index: number, grad: tf.Tensor, step: number): void;

  /** See {@link ParameterOptimizer.getState}. */
  async getState(): Promise<NamedArray[]> {
    const state: NamedArray[] = [
      { name: STEP_ARRAY, shape: [], values: Float32Array.of(this.stepCount) },
      { name: PARAM_STEPS_ARRAY, shape: [this.params.length], values: Float32Array.from(this.paramSteps) },
    ];
    for (let s = 0; s < this.slots.length; s++) {
      state.push(...(await readVariables(this.slots[s]!, `${this.slotNames[s]}/`)));
    }
    return state;
  }

  /**
   * See {@link ParameterOptimizer.setState}. A state without per-parameter step counts (written
   * before they existed, when every parameter was updated on every step) gives each parameter the
   * optimizer's step count.
   */
  setState(state: readonly NamedArray[]): void {
    const step = state.find((a) => a.name === STEP_ARRAY);
    if (step?.values.length !== 1)
      throw new MlopsError(
        'MLOPS_ERR_CHECKPOINT_MISMATCH',
        `Optimizer state of ${this.name} has no step count`,
        {
          hint: 'The checkpoint does not belong to this model or run: start afresh with mlops run train --force.',
        },
      );
    const paramSteps = state.find((a) => a.name === PARAM_STEPS_ARRAY);
    if (paramSteps && paramSteps.values.length !== this.params.length) {
      throw new MlopsError(
        'MLOPS_ERR_CHECKPOINT_MISMATCH',
        `Optimizer state of ${this.name} has step counts for ${paramSteps.values.length} parameters, expected ${this.params.length}`,
        {
          hint: 'The checkpoint does not belong to this model or run: start afresh with mlops run train --force.',
        },
      );
    }
    this.slots.forEach((slot, s) => {
      assignVariables(slot, state, `${this.slotNames[s]}/`);
    });
    this.stepCount = step.values[0]!;
    this.params.forEach((_, i) => {
      this.paramSteps[i] = paramSteps ? paramSteps.values[i]! : this.stepCount;
    });
  }

  /** Updates parameter `index` has received so far (0 until its first gradient). */
  parameterSteps(index: number): number {
    return this.paramSteps[index] ?? 0;
  }

  /** See {@link ParameterOptimizer.dispose}. */
  dispose(): void {
    for (const slot of this.slots) for (const v of slot) v.dispose();
  }
}
