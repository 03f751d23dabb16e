import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from './named-arrays.js';
import { assignVariables, readVariables } from './variable-arrays.js';

/** Optimizer names the trainer understands (`TrainConfig.optimizer`). */
export type OptimizerName = 'adamw' | 'adam' | 'sgd';

/** Decides whether a parameter gets weight decay. */
export type WeightDecayFilter = (param: tf.Variable) => boolean;

/**
 * timm's rule (`param_groups_weight_decay`): no decay for parameters of rank ≤ 1 — biases,
 * BatchNorm gamma/beta, layer-scale vectors. In tfjs every bias is 1-D, so the rank test alone
 * covers timm's extra `.bias` name test.
 */
export const decayOnlyMatrices: WeightDecayFilter = (param) => param.rank > 1;

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

/**
 * Shared machinery: parameter lookup by variable name, zero-initialized slot variables per
 * parameter, step counting and state export. Subclasses implement the per-parameter math.
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
  private readonly indexByName: Map<string, number>;
  private readonly slotNames: readonly string[];
  private stepCount = 0;

  /**
   * @param params Variables to optimize (e.g. `trainableVariables(model)`).
   * @param learningRate Initial learning rate.
   * @param slotNames Names of the per-parameter state slots (`m`, `v`, `momentum`).
   * @param decayFilter Which parameters get weight decay.
   */
  protected constructor(
    params: readonly tf.Variable[],
    learningRate: number,
    slotNames: readonly string[],
    decayFilter: WeightDecayFilter,
  ) {
    this.params = [...params];
    this.learningRate = learningRate;
    this.slotNames = slotNames;
    this.indexByName = new Map(this.params.map((p, i) => [p.name, i]));
    if (this.indexByName.size !== this.params.length)
      throw new Error('Optimizer parameters must be distinct');
    this.decays = this.params.map((p) => decayFilter(p));
    // tidy frees the zerosLike temporaries; the variables keep their data by reference.
    this.slots = slotNames.map(() =>
      this.params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false))),
    );
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** See {@link ParameterOptimizer.applyGradients}. */
  applyGradients(grads: tf.NamedTensorMap): void {
    this.stepCount += 1;
    const step = this.stepCount;
    tf.tidy(() => {
      for (const [name, grad] of Object.entries(grads)) {
        const index = this.indexByName.get(name);
        if (index === undefined) throw new Error(`Gradient for unknown variable '${name}'`);
        this.updateParameter(index, grad, step);
      }
    });
  }

  /**
   * Updates parameter `index` (and its slots) in place with `grad`. Runs inside `tf.tidy`, so
   * temporaries need no disposal; `step` is the 1-based step number (for bias correction).
   */
  protected abstract updateParameter(index: number, grad: tf.Tensor, step: number): void;

  /** See {@link ParameterOptimizer.getState}. */
  async getState(): Promise<NamedArray[]> {
    const state: NamedArray[] = [{ name: STEP_ARRAY, shape: [], values: Float32Array.of(this.stepCount) }];
    for (let s = 0; s < this.slots.length; s++) {
      state.push(...(await readVariables(this.slots[s]!, `${this.slotNames[s]}/`)));
    }
    return state;
  }

  /** See {@link ParameterOptimizer.setState}. */
  setState(state: readonly NamedArray[]): void {
    const step = state.find((a) => a.name === STEP_ARRAY);
    if (step?.values.length !== 1) throw new Error(`Optimizer state of ${this.name} has no step count`);
    this.slots.forEach((slot, s) => {
      assignVariables(slot, state, `${this.slotNames[s]}/`);
    });
    this.stepCount = step.values[0]!;
  }

  /** See {@link ParameterOptimizer.dispose}. */
  dispose(): void {
    for (const slot of this.slots) for (const v of slot) v.dispose();
  }
}
