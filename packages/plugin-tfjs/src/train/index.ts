/** The trainer: optimizers, schedules, loss, EMA, clipping and the resumable training loop. */
export { Adam, type AdamOptions, AdamW } from './adamw.js';
export { CHECKPOINT_BEST, CHECKPOINT_LAST, epochCheckpointName } from './checkpoint-files.js';
export { type CreateOptimizerOptions, createOptimizer, type OptimizerConfig } from './create-optimizer.js';
export { ModelEma, type ModelEmaOptions } from './ema.js';
export {
  type FreezeSpec,
  type FrozenSelection,
  LayerFreezer,
  layerNameMatcher,
  selectFrozenLayers,
} from './freeze.js';
export { type ClippedGradients, clipByGlobalNorm, globalNorm } from './grad-clip.js';
export { kernelVariables, type NamedKernel } from './kernel-variables.js';
export {
  type LayerDecayGroup,
  type LayerDecayScales,
  layerDecayGroups,
  layerGroupKey,
} from './layer-decay.js';
export { countCorrect, type LossReduction, softmaxCrossEntropy } from './loss.js';
export {
  createLrSchedule,
  defaultLrScaleRule,
  type LearningRateConfig,
  type LrScaleRule,
  type LrSchedule,
  type LrScheduleOptions,
  type ResolvedLearningRate,
  resolveLearningRate,
  type SchedulerName,
} from './lr-schedule.js';
export {
  EarlyStopping,
  type EarlyStoppingState,
  type MetricMode,
  metricKey,
  metricModeFor,
} from './metric-tracking.js';
export { modelVariables, trainableVariables } from './model-variables.js';
export { type NamedArray, readNamedArraysFile, writeNamedArraysFile } from './named-arrays.js';
export {
  decayOnlyMatrices,
  type OptimizerName,
  type ParameterLrScale,
  type ParameterOptimizer,
  type WeightDecayFilter,
} from './optimizer.js';
export { SgdMomentum, type SgdOptions } from './sgd.js';
export type { EpochDistributions, TrainObserver } from './train-observer.js';
export { type TrainStepContext, type TrainStepTensors, trainStep } from './train-step.js';
export { train } from './trainer.js';
export {
  type EpochRecord,
  readTrainerState,
  TRAINER_STATE_FILE,
  type TrainerState,
} from './trainer-state.js';
export type {
  CheckpointMetadata,
  EmaSelection,
  EpochEndEvent,
  ProgressReporter,
  SaveModelFn,
  TrainerConfig,
  TrainerLogger,
  TrainOptions,
  TrainResult,
} from './trainer-types.js';
