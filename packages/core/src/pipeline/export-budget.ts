/**
 * What an export budget (`export.budget`) measured and decided: the shapes shared by the plugin
 * that measures (plugin-onnx), the run record, the registry version's metadata and
 * `mlops registry show`.
 */

/** The limits of `export.budget` that a format is checked against. */
export type BudgetLimit = 'maxBytes' | 'maxLatencyMs' | 'minTop1';

/** What was measured on one exported format. */
export interface ExportMeasurement {
  /** Bytes of the artifact as stored (a directory: the sum of its files). */
  bytes: number;
  /**
   * Median (p50) latency of one image (batch 1) in milliseconds: measured on the exporting machine,
   * or that measurement scaled to `device` (an estimate, see `latencyEstimated`).
   */
  latencyP50Ms?: number;
  /** Where the latency applies: `host` (measured here) or a device profile name. */
  latencyDevice?: string;
  /** True when `latencyP50Ms` is scaled from the host's measurement by a device profile. */
  latencyEstimated?: boolean;
  /** The p50 measured on the exporting machine (equal to `latencyP50Ms` when `latencyDevice` is `host`). */
  hostLatencyP50Ms?: number;
  /** Timed runs the p50 is taken over (after the warm-up runs). */
  latencyRuns?: number;
  /** Top-1 accuracy (0–1) of this format on `top1Split`. */
  top1?: number;
  /** The split the top-1 was measured on (the evaluation split). */
  top1Split?: string;
  /** Images the top-1 was measured on. */
  top1Images?: number;
  /** Why a value could not be measured (e.g. `latency: no runtime for format "x"`). */
  unmeasured?: string[];
}

/** One limit a format broke, with the numbers. */
export interface BudgetViolation {
  /** Which limit. */
  limit: BudgetLimit;
  /** The limit's value from the config. */
  allowed: number;
  /** The measured value; absent when it could not be measured. */
  measured?: number;
  /** How far past the limit (`measured - allowed`, or `allowed - measured` for `minTop1`). */
  by?: number;
  /** The violation in words, e.g. `maxBytes: 412,345 bytes > 300,000 by 112,345 (37.4%)`. */
  text: string;
}

/** One format's verdict. */
export interface BudgetedFormat {
  /** The format (registry role), e.g. `onnx-int8`. */
  format: string;
  /** What was measured. */
  measured: ExportMeasurement;
  /** Limits it broke; empty when it is inside the budget. */
  violations: BudgetViolation[];
  /** Inside the budget, so registered. */
  admitted: boolean;
}

/** The decision of an export budget: every format's verdict and the one served. */
export interface ExportBudgetOutcome {
  /** The budget as configured. */
  limits: { maxBytes?: number; maxLatencyMs?: number; minTop1?: number; device?: string };
  /** Every exported format, in export order. */
  formats: BudgetedFormat[];
  /** The smallest admitted format: the one `serve` uses. Absent when nothing fits. */
  chosen?: string;
  /** The decision in words, with the numbers; for refusals also what to change. */
  explanation: string;
}
