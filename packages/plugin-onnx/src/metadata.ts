import { type InputPreprocessing, MlopsError, resizeFieldsProblem } from '@mlops/core';

/**
 * Preprocessing a runtime applies before the graph, as the training pipeline did: plugin-tfjs's
 * `InputPreprocessing` (size, channels, mean/std, the resize recipe) and the input layout.
 */
export interface OnnxPreprocessing extends InputPreprocessing {
  /** Memory layout of the graph input. */
  layout: 'NHWC';
}

/** What the exporter writes into the ONNX file's `metadata_props`, decoded. */
export interface OnnxModelMetadata {
  /** Graph input name. */
  inputName: string;
  /** Graph input shape `[height, width, channels]` (batch first, dynamic, not listed). */
  inputShape: [number, number, number];
  /** Graph output name (probabilities). */
  outputName: string;
  /** Class labels in output order. */
  labels: string[];
  /** Preprocessing of the inputs. */
  preprocessing: OnnxPreprocessing;
  /** Registry model name. */
  modelName: string;
  /** Registry version the export was made for (the next version at export time). */
  modelVersion: number;
  /** Run that trained and exported the model. */
  runId: string;
  /** Architecture, e.g. `fast_cnn`. */
  architecture: string;
  /** `fp32` or `int8`. */
  precision: 'fp32' | 'int8';
}

/** Prefix of every key this package writes. */
const PREFIX = 'mlops.';

/** Encodes metadata as ONNX `metadata_props` (strings; structured values as JSON). */
export function encodeMetadata(meta: OnnxModelMetadata): Record<string, string> {
  return {
    [`${PREFIX}input_name`]: meta.inputName,
    [`${PREFIX}input_shape`]: JSON.stringify(meta.inputShape),
    [`${PREFIX}output_name`]: meta.outputName,
    [`${PREFIX}labels`]: JSON.stringify(meta.labels),
    [`${PREFIX}preprocessing`]: JSON.stringify(meta.preprocessing),
    [`${PREFIX}model_name`]: meta.modelName,
    [`${PREFIX}model_version`]: String(meta.modelVersion),
    [`${PREFIX}run_id`]: meta.runId,
    [`${PREFIX}architecture`]: meta.architecture,
    [`${PREFIX}precision`]: meta.precision,
  };
}

function corrupt(source: string, why: string): MlopsError {
  return new MlopsError('MLOPS_ERR_STORE_CORRUPT', `${source}: ${why}`, {
    file: source,
    hint: 'Re-export the model with @mlops/plugin-onnx (mlops run export --force); the file lacks the metadata a runtime needs.',
  });
}

function json(props: Record<string, string>, key: string, source: string): unknown {
  const text = props[`${PREFIX}${key}`];
  if (text === undefined) throw corrupt(source, `ONNX metadata has no "${PREFIX}${key}"`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw corrupt(source, `ONNX metadata "${PREFIX}${key}" is not valid JSON`);
  }
}

function isNumbers(value: unknown, length?: number): value is number[] {
  return (
    Array.isArray(value) &&
    (length === undefined || value.length === length) &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}

/** Decodes and validates the metadata; `MLOPS_ERR_STORE_CORRUPT` naming `source` when wrong. */
export function decodeMetadata(props: Record<string, string>, source: string): OnnxModelMetadata {
  const text = (key: string): string => {
    const value = props[`${PREFIX}${key}`];
    if (value === undefined) throw corrupt(source, `ONNX metadata has no "${PREFIX}${key}"`);
    return value;
  };
  const inputShape = json(props, 'input_shape', source);
  if (!isNumbers(inputShape, 3))
    throw corrupt(source, '"mlops.input_shape" must be [height, width, channels]');
  const labels = json(props, 'labels', source);
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
    throw corrupt(source, '"mlops.labels" must be a non-empty array of class names');
  }
  const p = json(props, 'preprocessing', source) as Partial<OnnxPreprocessing> | null;
  if (
    !p ||
    typeof p.size !== 'number' ||
    (p.channels !== 1 && p.channels !== 3) ||
    !isNumbers(p.mean) ||
    !isNumbers(p.std) ||
    p.std.some((s) => !(s > 0))
  ) {
    throw corrupt(source, '"mlops.preprocessing" must have size, channels (1 or 3), mean and positive std');
  }
  const resizeProblem = resizeFieldsProblem(p);
  if (resizeProblem) throw corrupt(source, `"mlops.preprocessing": ${resizeProblem}`);
  const precision = text('precision');
  return {
    inputName: text('input_name'),
    inputShape: inputShape as [number, number, number],
    outputName: text('output_name'),
    labels: labels as string[],
    preprocessing: {
      size: p.size,
      channels: p.channels,
      mean: p.mean,
      std: p.std,
      ...(p.resize === 'timm'
        ? {
            resize: 'timm' as const,
            cropPct: p.cropPct as number,
            interpolation: p.interpolation as 'bilinear' | 'bicubic',
          }
        : { resize: 'cover' as const }),
      layout: 'NHWC',
    },
    modelName: text('model_name'),
    modelVersion: Number(text('model_version')),
    runId: text('run_id'),
    architecture: text('architecture'),
    precision: precision === 'int8' ? 'int8' : 'fp32',
  };
}
