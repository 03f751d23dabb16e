import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BatchSource } from '../data/batch-source.js';
import { tfjsErrors } from '../errors.js';
import { type InferenceResult, runInference } from './inference.js';
import { argmaxRows, confusionMatrix, macroAverage, oneVsRestRoc, topKAccuracy } from './metrics.js';
import { type PredictionStats, predictionStats } from './prediction-stats.js';

/** Options of {@link evaluateModel}. */
export interface EvaluateModelOptions {
  /** k of the top-k accuracy reported besides top-1 (`EvaluateConfig.topK`). */
  topK: number;
  /** Class labels in index order; names the `auc/<label>` metrics and ROC entries. */
  classes: readonly string[];
  /** Label smoothing of the reported loss; default 0 (plain cross-entropy). */
  labelSmoothing?: number;
  /** Images per forward pass; default 128. */
  batchSize?: number;
  /** Most points kept per stored ROC curve; default 101 (the AUC always uses all). */
  rocPoints?: number;
  /** Stops between batches (throws the signal's reason). */
  signal?: AbortSignal;
}

/** One class's one-vs-rest ROC, as `EvaluateOutput.roc` stores it. */
export interface LabeledRoc {
  /** Class label. */
  label: string;
  /** Exact AUC over all thresholds. */
  auc: number;
  /** False-positive rates (≤ `rocPoints`). */
  fpr: number[];
  /** True-positive rates (≤ `rocPoints`). */
  tpr: number[];
}

/** An evaluation: the fields of `EvaluateOutput` it can fill, plus drift reference statistics. */
export interface ModelEvaluation {
  /**
   * `top1`, `top<k>`, `loss`, `auc_macro` and `auc/<label>`. Classes without both positives and
   * negatives in the data have no defined AUC: they get no `auc/<label>` entry and are left out
   * of `auc_macro` (JSON has no NaN).
   */
  metrics: Record<string, number>;
  /** Counts, rows = true class, columns = predicted class. */
  confusionMatrix: number[][];
  /** Per-class ROC for the classes with a defined AUC. */
  roc: LabeledRoc[];
  /** Class labels (row/column order). */
  classes: string[];
  /** Predicted-class mix and confidence, the drift baseline. */
  predictionStats: PredictionStats;
  /** Images evaluated. */
  count: number;
}

/** Builds the evaluation from an inference pass (pure; {@link evaluateModel} runs the pass). */
export function evaluatePredictions(
  result: InferenceResult,
  options: Pick<EvaluateModelOptions, 'topK' | 'classes' | 'rocPoints'>,
): ModelEvaluation {
  const { probabilities, labels, numClasses } = result;
  if (options.classes.length !== numClasses) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_DATA_MODEL_MISMATCH',
      `${options.classes.length} class labels given for ${numClasses} classes`,
    );
  }
  const classes = [...options.classes];
  const metrics: Record<string, number> = {
    top1: topKAccuracy(probabilities, labels, numClasses, 1),
    [`top${options.topK}`]: topKAccuracy(probabilities, labels, numClasses, options.topK),
    loss: result.meanLoss,
  };
  const roc: LabeledRoc[] = [];
  for (const curve of oneVsRestRoc(probabilities, labels, numClasses, options.rocPoints ?? 101)) {
    if (!Number.isFinite(curve.auc)) continue;
    const label = classes[curve.classIndex]!;
    metrics[`auc/${label}`] = curve.auc;
    roc.push({ label, auc: curve.auc, fpr: curve.fpr, tpr: curve.tpr });
  }
  const aucMacro = macroAverage(roc.map((r) => r.auc));
  if (Number.isFinite(aucMacro)) metrics.auc_macro = aucMacro;
  return {
    metrics,
    confusionMatrix: confusionMatrix(argmaxRows(probabilities, numClasses), labels, numClasses),
    roc,
    classes,
    predictionStats: predictionStats(probabilities, classes),
    count: result.count,
  };
}

/**
 * Evaluates `model` on every image of `source` in inference mode (no dropout, BatchNorm on its
 * moving statistics): top-1/top-k accuracy, mean loss, confusion matrix, per-class ROC/AUC and
 * prediction statistics.
 */
export async function evaluateModel(
  model: LayersModel,
  source: BatchSource,
  options: EvaluateModelOptions,
): Promise<ModelEvaluation> {
  const result = await runInference(model, source, {
    batchSize: options.batchSize,
    labelSmoothing: options.labelSmoothing,
    signal: options.signal,
  });
  return evaluatePredictions(result, options);
}
