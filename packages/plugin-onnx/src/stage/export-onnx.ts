import type { LayersModel } from '@tensorflow/tfjs-layers';
import { onnxErrors } from '../errors.js';
import { convertLayersModel, INPUT_NAME, OUTPUT_NAME } from '../export/convert-layers-model.js';
import { encodeMetadata, type OnnxModelMetadata } from '../metadata.js';
import type { OnnxModel } from '../onnx/ir.js';
import { serializeModel } from '../onnx/serialize.js';
import { calibrateRanges } from '../quantize/calibrate.js';
import { quantizeQdq } from '../quantize/qdq.js';
import { createSession } from '../runtime/session.js';
import { PLUGIN_ONNX_VERSION } from '../version.js';
import { agreement, onnxProbabilities, tfjsProbabilities, top1Accuracy } from './compare.js';
import type { ResolvedExporterOptions } from './exporter-options.js';
import type { NormalizedSample } from './samples.js';

/** Everything an export needs besides the model. */
export interface ExportInputs {
  /** The trained tfjs model. */
  model: LayersModel;
  /** Metadata written into the files (precision is set per file). */
  metadata: Omit<OnnxModelMetadata, 'precision' | 'inputName' | 'outputName' | 'inputShape'>;
  /** Validation images for the tfjs ↔ onnxruntime parity check. */
  parity: NormalizedSample;
  /** Training images for int8 calibration; needed when quantizing. */
  calibration?: NormalizedSample;
  /** Held-out images for fp32 vs int8 accuracy; needed when quantizing. */
  heldOut?: NormalizedSample;
  /** Options with defaults. */
  options: ResolvedExporterOptions;
  /** Whether to write the int8 model. */
  quantize: boolean;
  /** Sink for warnings (an int8 model that is left out). */
  warn: (message: string) => void;
}

/** One written ONNX file and what was measured on it. */
export interface ExportedOnnx {
  /** Role: `onnx` (fp32) or `onnx-int8`. */
  format: 'onnx' | 'onnx-int8';
  /** File contents. */
  bytes: Uint8Array;
  /** Measurements for the run record and the registry. */
  details: Record<string, number | string | boolean>;
}

function withMetadata(model: OnnxModel, meta: OnnxModelMetadata): OnnxModel {
  return { ...model, metadata: encodeMetadata(meta) };
}

/**
 * Converts the model to ONNX, checks parity with tfjs on real validation images (fails the export
 * when max |Δp| exceeds the tolerance or any top-1 differs) and, when asked, writes an int8 QDQ
 * model calibrated on training images, with its size and held-out top-1 next to fp32's.
 */
export async function exportOnnx(inputs: ExportInputs): Promise<ExportedOnnx[]> {
  const { options, parity } = inputs;
  const converted = convertLayersModel(inputs.model);
  const base = {
    ...inputs.metadata,
    inputName: INPUT_NAME,
    outputName: OUTPUT_NAME,
    inputShape: converted.inputShape,
  };
  const fp32Model = withMetadata(converted.model, { ...base, precision: 'fp32' });
  const fp32 = serializeModel(fp32Model, PLUGIN_ONNX_VERSION);
  const session = await createSession(fp32, 'exported ONNX model', options.threads);
  try {
    const classes = converted.numClasses;
    const reference = await tfjsProbabilities(inputs.model, parity.x, parity.count, parity.shape);
    const onnx = await onnxProbabilities(session, parity.x, parity.count, parity.shape);
    const match = agreement(reference, onnx, classes);
    if (!(match.maxAbsDiff <= options.parityTolerance) || match.top1Agreement < 1) {
      throw onnxErrors.create(
        'MLOPS_ONNX_ERR_PARITY',
        `ONNX parity check failed on ${parity.count} ${parity.split} images: max |Δp| ${match.maxAbsDiff.toExponential(2)} (allowed ${options.parityTolerance}), top-1 agreement ${(match.top1Agreement * 100).toFixed(2)}% (needs 100%)`,
      );
    }
    const fp32Details = {
      bytes: fp32.length,
      opset: converted.model.opset,
      nodes: converted.model.nodes.length,
      foldedBatchNorms: converted.foldedNorms,
      paritySplit: parity.split,
      parityImages: parity.count,
      parityMaxAbsDiff: match.maxAbsDiff,
      parityTop1Agreement: match.top1Agreement,
    };
    if (!inputs.quantize) return [{ format: 'onnx', bytes: fp32, details: fp32Details }];
    const int8 = await quantizeToInt8(inputs, converted.model, fp32.length, classes, base, session);
    if (int8.rejected) {
      inputs.warn(int8.rejected);
      return [
        {
          format: 'onnx',
          bytes: fp32,
          details: { ...fp32Details, ...int8.details, int8Rejected: int8.rejected },
        },
      ];
    }
    return [
      {
        format: 'onnx',
        bytes: fp32,
        details: { ...fp32Details, heldOutTop1: int8.details.fp32Top1 as number },
      },
      { format: 'onnx-int8', bytes: int8.bytes, details: int8.details },
    ];
  } finally {
    await session.release();
  }
}

async function quantizeToInt8(
  inputs: ExportInputs,
  graph: OnnxModel,
  fp32Bytes: number,
  classes: number,
  base: Omit<OnnxModelMetadata, 'precision'>,
  fp32Session: Awaited<ReturnType<typeof createSession>>,
): Promise<{ bytes: Uint8Array; details: Record<string, number | string>; rejected?: string }> {
  const { calibration, heldOut, options } = inputs;
  if (!calibration || !heldOut) throw new Error('int8 export needs calibration and held-out images');
  const per = calibration.shape.reduce((a, b) => a * b, 1);
  const batches = Array.from({ length: Math.ceil(calibration.count / 256) }, (_, i) => {
    const n = Math.min(256, calibration.count - i * 256);
    return { x: calibration.x.subarray(i * 256 * per, (i * 256 + n) * per), n };
  });
  const ranges = await calibrateRanges(graph, batches, options.threads);
  const quantized = quantizeQdq(graph, ranges);
  const bytes = serializeModel(
    withMetadata(quantized.model, { ...base, precision: 'int8' }),
    PLUGIN_ONNX_VERSION,
  );
  const session = await createSession(bytes, 'int8 ONNX model', options.threads);
  try {
    const fp32Probs = await onnxProbabilities(fp32Session, heldOut.x, heldOut.count, heldOut.shape);
    const int8Probs = await onnxProbabilities(session, heldOut.x, heldOut.count, heldOut.shape);
    const fp32Top1 = top1Accuracy(fp32Probs, heldOut.labels, classes);
    const int8Top1 = top1Accuracy(int8Probs, heldOut.labels, classes);
    const drop = (fp32Top1 - int8Top1) * 100;
    const details = {
      bytes: bytes.length,
      sizeRatio: bytes.length / fp32Bytes,
      scheme:
        'static QDQ: int8 symmetric per-channel weights, uint8 per-tensor activations (min/max calibration)',
      calibrationSplit: calibration.split,
      calibrationImages: calibration.count,
      accuracySplit: heldOut.split,
      accuracyImages: heldOut.count,
      fp32Top1,
      int8Top1,
      top1DropPoints: drop,
      top1AgreementWithFp32: agreement(fp32Probs, int8Probs, classes).top1Agreement,
      quantizedWeights: quantized.quantizedWeights,
      quantizedTensors: quantized.quantizedTensors,
    };
    const rejected =
      drop > options.maxAccuracyDrop
        ? `int8 model left out: top-1 on ${heldOut.split} drops ${drop.toFixed(2)} points (${(fp32Top1 * 100).toFixed(2)}% → ${(int8Top1 * 100).toFixed(2)}%), more than maxAccuracyDrop ${options.maxAccuracyDrop}`
        : undefined;
    return { bytes, details, ...(rejected ? { rejected } : {}) };
  } finally {
    await session.release();
  }
}
