import type { ArtifactRef } from '../services/artifact-store.js';
import type { JsonObject } from '../util/json.js';
import type { ExportBudgetOutcome, ExportMeasurement } from './export-budget.js';

/** The lifecycle's stages, in order. */
export const STAGES = ['data', 'model', 'train', 'evaluate', 'export', 'serve'] as const;

/** A lifecycle stage name. */
export type StageName = (typeof STAGES)[number];

/** Output of the data stage: a versioned ImageFolder dataset in the store. */
export interface DataOutput {
  /** The dataset tree (`<split>/<class>/<image>`) in the store. */
  dataset: ArtifactRef;
  /** The data version: hash of the dataset manifest (file list + hashes + class map). */
  version: string;
  /** Class labels, in index order. */
  classes: string[];
  /** Number of images per split. */
  splits: Record<string, number>;
  /** Images per split and class. */
  counts: Record<string, Record<string, number>>;
  /** Native image shape `[height, width, channels]` when all images share it. */
  imageShape?: [number, number, number];
  /** Images that were skipped as unreadable (every one), with the reason, split and class. */
  skipped: { path: string; reason: string; split?: string; label?: string }[];
  /** Files in class folders that are not images and were ignored (absent when none). */
  ignored?: number;
}

/** Output of the model stage: an initialized (or fine-tuning-ready) model. */
export interface ModelOutput {
  /** The model in the engine's native format. */
  model: ArtifactRef;
  /** Architecture name. */
  architecture: string;
  /** Trainable parameter count. */
  parameters: number;
  /** Input shape `[height, width, channels]`. */
  inputShape: [number, number, number];
  /** Number of classes of the head. */
  numClasses: number;
  /** Where initial weights came from, if not random. */
  initializedFrom?: string;
  /** What was loaded from the initial checkpoint and what was left at its fresh initialisation. */
  initialization?: ModelInitialization;
}

/** How a model was initialized from a checkpoint (recorded in the run). */
export interface ModelInitialization {
  /** The checkpoint as configured (`hf-hub:…`, a path, `registry:…`). */
  source: string;
  /** Format: `timm` (safetensors state dict) or `tfjs` (a saved mlops model). */
  format: 'timm' | 'tfjs';
  /** The checkpoint's architecture, when it says. */
  architecture?: string;
  /** Weights copied: state-dict keys (timm) or layer names (tfjs). */
  loaded: string[];
  /** Layers that kept their fresh initialisation. */
  reinitialized: string[];
  /** The classifier: kept, re-ordered to the dataset's classes, or re-initialized. */
  head: 'keep' | 'reorder' | 'reset';
  /** Why the classifier was handled that way. */
  headReason: string;
}

/** Output of the train stage. */
export interface TrainOutput {
  /** Best weights (by the eval metric) in the engine's native format. */
  model: ArtifactRef;
  /** Last checkpoint (for inspection; resume uses the run directory). */
  last?: ArtifactRef;
  /** Per-epoch history (JSON lines). */
  history: ArtifactRef;
  /** Epochs run. */
  epochs: number;
  /** Epoch of the best checkpoint (1-based). */
  bestEpoch: number;
  /** Validation metrics of the best epoch. */
  metrics: Record<string, number>;
  /** Backend that trained it, e.g. `wasm`. */
  backend: string;
  /** Why that backend: e.g. under `auto` the measured ms/step of each candidate. */
  backendReason?: string;
  /** Training throughput, images per second. */
  imagesPerSecond: number;
  /** Reference input statistics for drift monitoring. */
  referenceStats?: ArtifactRef;
}

/** Output of the evaluate stage. */
export interface EvaluateOutput {
  /** Split evaluated. */
  split: string;
  /** Metrics: `top1`, `top5`, `loss`, `auc_macro`, per-class `auc/<label>`, ... */
  metrics: Record<string, number>;
  /** Confusion matrix, rows = true class, columns = predicted class. */
  confusionMatrix: number[][];
  /** Class labels (row/column order). */
  classes: string[];
  /** Per-class one-vs-rest ROC curves and AUC. */
  roc: { label: string; auc: number; fpr: number[]; tpr: number[] }[];
  /** Full evaluation details (JSON) in the store. */
  details?: ArtifactRef;
}

/** One exported format. */
export interface ExportedModel {
  /** Format, e.g. `tfjs`, `onnx`, `onnx-int8`. */
  format: string;
  /** The exported file or directory. */
  artifact: ArtifactRef;
  /** Format-specific results (parity, size, quantized accuracy, ...). */
  details: JsonObject;
  /** Size, latency and accuracy measured for `export.budget` (set when a budget is configured). */
  measured?: ExportMeasurement;
}

/** Output of the export stage, including registration. */
export interface ExportOutput {
  /** Exported formats. */
  exports: ExportedModel[];
  /** The registry version created, if registration ran. */
  registered?: { model: string; version: number; aliases: string[] };
  /** With `export.budget`: every format's measurements and verdict, and the format served. */
  budget?: ExportBudgetOutcome;
}

/** Output of the serve stage. */
export interface ServeOutput {
  /** URL the server listens on. */
  url: string;
}

/** Stage name → output type. The value a stage hook's waterfall carries. */
export interface StageOutputs {
  /** Data stage. */
  data: DataOutput;
  /** Model stage. */
  model: ModelOutput;
  /** Train stage. */
  train: TrainOutput;
  /** Evaluate stage. */
  evaluate: EvaluateOutput;
  /** Export stage. */
  export: ExportOutput;
  /** Serve stage. */
  serve: ServeOutput;
}
