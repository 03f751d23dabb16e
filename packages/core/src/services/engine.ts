import type { InjectionToken } from 'tsyringe';
import type { ResolvedConfig } from '../config/types.js';
import type { StageContext } from '../pipeline/stage-context.js';
import type { EvaluateOutput, ModelOutput, TrainOutput } from '../pipeline/stage-outputs.js';

/**
 * Builds, trains and evaluates models. plugin-tfjs provides the TensorFlow.js engine. Core's
 * default taps of the `model`, `train` and `evaluate` stages call it.
 */
export interface Engine {
  /** Engine name, e.g. `tfjs`. */
  readonly name: string;
  /** Builds the model of `ctx.config.model` for the data of `ctx.input('data')`. */
  buildModel(ctx: StageContext<'model'>): Promise<ModelOutput>;
  /** Trains `ctx.input('model')` on `ctx.input('data')`. */
  train(ctx: StageContext<'train'>): Promise<TrainOutput>;
  /** Evaluates `ctx.input('train')` on the configured split. */
  evaluate(ctx: StageContext<'evaluate'>): Promise<EvaluateOutput>;
  /**
   * What a pretrained checkpoint (`model.initialCheckpoint` of `config`) is, without a dataset:
   * its class labels in output order and its architecture. `mlops registry import` registers a
   * checkpoint with these labels; engines that cannot read checkpoints leave it out.
   */
  describeCheckpoint?(config: ResolvedConfig): Promise<CheckpointDescription>;
}

/** What {@link Engine.describeCheckpoint} reports. */
export interface CheckpointDescription {
  /** Class labels in the classifier's output order. */
  labels: string[];
  /** Architecture, e.g. `mobilenetv4_conv_small`. */
  architecture: string;
  /** True when the checkpoint has no label names and `labels` are numbered placeholders. */
  placeholderLabels?: boolean;
}

/** DI token of the {@link Engine}. */
export const Engine: InjectionToken<Engine> = Symbol.for('mlops.Engine');
