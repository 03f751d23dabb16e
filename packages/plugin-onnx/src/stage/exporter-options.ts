import type { SessionThreads } from '../runtime/session.js';

/** Options of the ONNX exporter (the `onnx()` plugin's export settings). */
export interface OnnxExporterOptions {
  /** Overrides `export.quantize`: `'int8'` also writes an int8 model, `false` only fp32. */
  quantize?: 'int8' | false;
  /** Validation images compared between tfjs and onnxruntime on every export. Default 1000. */
  parityImages?: number;
  /** Largest allowed |Δ| of any probability between tfjs and onnxruntime. Default 1e-4. */
  parityTolerance?: number;
  /** Training images the int8 activation ranges are calibrated on. Default 1000. */
  calibrationImages?: number;
  /** Images of the held-out split scored fp32 vs int8; 0 = the whole split. Default 0. */
  accuracyImages?: number;
  /**
   * Largest top-1 drop (in points, fp32 → int8) for which the int8 model is kept. A bigger drop
   * leaves the int8 model out of the export (with a warning) so it is never served. Default 1.
   */
  maxAccuracyDrop?: number;
  /** Threads of the sessions the export stage runs (parity, calibration, accuracy). */
  threads?: SessionThreads;
}

/** {@link OnnxExporterOptions} with defaults. */
export type ResolvedExporterOptions = Required<Omit<OnnxExporterOptions, 'quantize'>> &
  Pick<OnnxExporterOptions, 'quantize'>;

/** Fills in defaults. */
export function resolveExporterOptions(options: OnnxExporterOptions): ResolvedExporterOptions {
  return {
    parityImages: options.parityImages ?? 1000,
    parityTolerance: options.parityTolerance ?? 1e-4,
    calibrationImages: options.calibrationImages ?? 1000,
    accuracyImages: options.accuracyImages ?? 0,
    maxAccuracyDrop: options.maxAccuracyDrop ?? 1,
    threads: options.threads ?? {},
    ...(options.quantize === undefined ? {} : { quantize: options.quantize }),
  };
}
