import { isRecord, numberOf, numbersOf, stringOf } from '../read-json.js';
import { field, numericFields, type RunRecordView } from './run-record.js';
import type { RocCurve } from './svg-roc.js';

/** The evaluation results the report draws. */
export interface EvaluationView {
  /** Split evaluated, e.g. `test`. */
  split?: string;
  /** Scalar metrics (`top1`, `loss`, `auc/<label>`, ...). */
  metrics: Record<string, number>;
  /** Class labels. */
  classes: string[];
  /** Counts; rows = true class, columns = predicted class. */
  confusionMatrix?: number[][];
  /** One-vs-rest ROC curves. */
  roc: RocCurve[];
}

/** Tables a tracker may have logged instead of (or besides) the evaluate stage output. */
export interface EvaluationTables {
  /** Parsed `tables/confusion_matrix.json`. */
  confusionMatrix?: unknown;
  /** Parsed `tables/roc.json`. */
  roc?: unknown;
}

/**
 * The evaluation from the `evaluate` stage output in `run.json`; where that lacks a confusion
 * matrix or ROC curves, from the logged tables. `undefined` when there is nothing to show.
 */
export function extractEvaluation(
  record: RunRecordView,
  tables: EvaluationTables,
): EvaluationView | undefined {
  const output = record.stageOutputs.evaluate;
  const table = isRecord(tables.confusionMatrix) ? tables.confusionMatrix : {};
  const classes =
    labelsOf(field(output, 'classes')) ??
    labelsOf(table.classes) ??
    labelsOf(table.labels) ??
    labelsOf(field(record.stageOutputs.data, 'classes')) ??
    [];
  const confusionMatrix =
    matrixOf(field(output, 'confusionMatrix')) ??
    matrixOf(tables.confusionMatrix) ??
    matrixOf(table.matrix) ??
    matrixOf(table.confusionMatrix) ??
    matrixOf(table.confusion_matrix);
  const ownRoc = rocOf(field(output, 'roc'));
  const roc =
    ownRoc.length > 0
      ? ownRoc
      : rocOf(
          Array.isArray(tables.roc) ? tables.roc : (field(tables.roc, 'curves') ?? field(tables.roc, 'roc')),
        );
  const metrics = numericFields(field(output, 'metrics'));
  const split = stringOf(field(output, 'split'));
  if (!confusionMatrix && roc.length === 0 && Object.keys(metrics).length === 0) return undefined;
  return { split, metrics, classes, confusionMatrix, roc };
}

function labelsOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((v) => (typeof v === 'string' ? v : String(v)));
}

/** A non-empty array of number rows (non-numbers become NaN). */
function matrixOf(value: unknown): number[][] | undefined {
  if (!Array.isArray(value) || value.length === 0 || !value.every(Array.isArray)) return undefined;
  return value.map((row) => numbersOf(row) ?? []);
}

function rocOf(value: unknown): RocCurve[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, i): RocCurve[] => {
    const fpr = numbersOf(field(item, 'fpr'));
    const tpr = numbersOf(field(item, 'tpr'));
    if (!fpr || !tpr) return [];
    const label = stringOf(field(item, 'label')) ?? stringOf(field(item, 'class')) ?? String(i);
    return [{ label, auc: numberOf(field(item, 'auc')) ?? Number.NaN, fpr, tpr }];
  });
}
