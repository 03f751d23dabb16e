/**
 * mlops values in the JSON shapes W&B's UI renders (the `_type` objects the wandb SDK writes into
 * history and summary rows): `image-file`, `histogram` and `table-file`.
 */
import { type Json, type JsonObject, safeFileName, sha256, summarizeHistogram } from '@mlops/core';
import { confusionMatrixPng, rocCurvesPng } from './png-charts.js';

/** Bins of a W&B histogram; the SDK's default is 64 (its maximum 512). */
export const HISTOGRAM_BINS = 64;

/** A run file a value points at, and the value itself. */
export interface FileValue {
  /** Run file name, e.g. `media/images/samples_3_ab12….png`. */
  file: string;
  /** The file's bytes. */
  bytes: Uint8Array;
  /** The `_type` object for the row. */
  value: JsonObject;
}

/** An `image-file` value for PNG bytes (width and height read from the PNG header). */
export function imageValue(key: string, png: Uint8Array, step: number, caption?: string): FileValue {
  const digest = sha256(png);
  const file = `media/images/${safeFileName(key)}_${step}_${digest.slice(0, 20)}.png`;
  const { width, height } = pngSize(png);
  const value: JsonObject = {
    _type: 'image-file',
    path: file,
    sha256: digest,
    size: png.byteLength,
    format: 'png',
    width,
    height,
  };
  if (caption !== undefined) value.caption = caption;
  return { file, bytes: png, value };
}

/** A `histogram` value: counts of equal-width bins and their `bins.length + 1` edges. */
export function histogramValue(values: ArrayLike<number>, binCount = HISTOGRAM_BINS): JsonObject {
  const summary = summarizeHistogram(values, binCount);
  const width = (summary.max - summary.min) / summary.bins.length;
  const edges = summary.bins.map((_, i) => summary.min + i * width);
  edges.push(summary.max);
  return { _type: 'histogram', values: summary.bins, bins: edges };
}

/**
 * A `table-file` value. The confusion matrix (`{ classes, matrix }`) becomes the
 * Actual/Predicted/nPredictions table that `wandb.plot.confusion_matrix` draws from; per-class ROC
 * points (`{ fpr, tpr }` lists) become class/fpr/tpr rows as `wandb.plot.roc_curve` writes them;
 * a list of objects becomes one column per key; anything else one `value` cell.
 */
export function tableValue(key: string, value: Json): FileValue {
  const { columns, data } = toTable(value);
  const text = JSON.stringify({ columns, data });
  const bytes = new TextEncoder().encode(text);
  const digest = sha256(bytes);
  const file = `media/table/${safeFileName(key)}_${digest.slice(0, 20)}.table.json`;
  return {
    file,
    bytes,
    value: {
      _type: 'table-file',
      path: file,
      sha256: digest,
      size: bytes.byteLength,
      ncols: columns.length,
      nrows: data.length,
    },
  };
}

/**
 * A picture of a table, when it is one this plugin can draw: the confusion matrix as a heatmap,
 * ROC points as curves. Undefined for anything else.
 */
export function tablePicture(value: Json): Uint8Array | undefined {
  if (isObject(value) && Array.isArray(value.matrix)) {
    const matrix = value.matrix
      .filter(Array.isArray)
      .map((row) => row.map((c) => (typeof c === 'number' ? c : 0)));
    return matrix.length ? confusionMatrixPng(matrix) : undefined;
  }
  const curves = rocCurves(value);
  if (!curves) return undefined;
  const numbers = (xs: Json[]) => xs.map((x) => (typeof x === 'number' ? x : 0));
  return rocCurvesPng(curves.map(([, c]) => ({ fpr: numbers(c.fpr), tpr: numbers(c.tpr) })));
}

function toTable(value: Json): { columns: string[]; data: Json[][] } {
  if (isObject(value) && Array.isArray(value.classes) && Array.isArray(value.matrix)) {
    const classes = value.classes as Json[];
    const data: Json[][] = [];
    (value.matrix as Json[]).forEach((row, actual) => {
      if (!Array.isArray(row)) return;
      row.forEach((count, predicted) => {
        data.push([classes[actual] ?? actual, classes[predicted] ?? predicted, count]);
      });
    });
    return { columns: ['Actual', 'Predicted', 'nPredictions'], data };
  }
  const curves = rocCurves(value);
  if (curves) {
    const data: Json[][] = [];
    for (const [name, curve] of curves) {
      curve.fpr.forEach((fpr, i) => {
        data.push([name, fpr, curve.tpr[i] ?? null]);
      });
    }
    return { columns: ['class', 'fpr', 'tpr'], data };
  }
  if (Array.isArray(value) && value.length > 0 && value.every(isObject)) {
    const columns = [...new Set(value.flatMap((row) => Object.keys(row as JsonObject)))];
    return { columns, data: value.map((row) => columns.map((c) => (row as JsonObject)[c] ?? null)) };
  }
  return { columns: ['value'], data: [[value]] };
}

/** `{ cls: { fpr, tpr } }` or `[{ class, fpr, tpr }]`, as name → curve. */
function rocCurves(value: Json): [string, { fpr: Json[]; tpr: Json[] }][] | undefined {
  const entries: [string, Json][] = Array.isArray(value)
    ? value.map((v, i) => [String((isObject(v) && (v.class ?? v.label ?? v.name)) ?? i), v])
    : isObject(value)
      ? Object.entries(value)
      : [];
  if (entries.length === 0) return undefined;
  const curves: [string, { fpr: Json[]; tpr: Json[] }][] = [];
  for (const [name, curve] of entries) {
    if (!isObject(curve) || !Array.isArray(curve.fpr) || !Array.isArray(curve.tpr)) return undefined;
    curves.push([name, { fpr: curve.fpr, tpr: curve.tpr }]);
  }
  return curves;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Width and height from a PNG's IHDR chunk; zeros when the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.byteLength < 24 || signature.some((b, i) => png[i] !== b)) return { width: 0, height: 0 };
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
