/** The evaluator: batched inference, classification metrics, ROC/AUC and drift reference statistics. */
export {
  type BatchTensorOptions,
  type BatchTensors,
  batchToTensors,
  modelInputChannels,
} from './batch-tensors.js';
export {
  type EvaluateModelOptions,
  evaluateModel,
  evaluatePredictions,
  type LabeledRoc,
  type ModelEvaluation,
} from './evaluator.js';
export { type InferenceOptions, type InferenceResult, runInference } from './inference.js';
export {
  argmaxRows,
  type ClassRoc,
  confusionMatrix,
  downsampleCurve,
  macroAverage,
  meanCrossEntropy,
  oneVsRestRoc,
  type RocCurve,
  rocAuc,
  rocCurve,
  topKAccuracy,
  trapezoidArea,
} from './metrics.js';
export { type PredictionStats, predictionStats } from './prediction-stats.js';
