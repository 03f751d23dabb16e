import * as ort from 'onnxruntime-node';
import { ElemType, type OnnxModel } from '../onnx/ir.js';
import { serializeModel } from '../onnx/serialize.js';
import { createSession, type SessionThreads } from '../runtime/session.js';

/** Observed value range of one tensor. */
export interface TensorRange {
  /** Smallest value seen. */
  min: number;
  /** Largest value seen. */
  max: number;
}

/**
 * Runs the float graph over calibration batches with every intermediate tensor exposed as an
 * output, and records each tensor's min and max (the graph input's included).
 */
export async function calibrateRanges(
  model: OnnxModel,
  batches: Iterable<{ x: Float32Array; n: number }>,
  threads: SessionThreads = {},
): Promise<Map<string, TensorRange>> {
  const tensors = [model.inputs[0]?.name as string, ...model.nodes.flatMap((n) => n.outputs)];
  const graphOutputs = new Set(model.outputs.map((o) => o.name));
  const probe: OnnxModel = {
    ...model,
    outputs: [
      ...model.outputs,
      ...tensors.filter((t) => !graphOutputs.has(t)).map((name) => ({ name, elemType: ElemType.FLOAT })),
    ],
  };
  const session = await createSession(serializeModel(probe, 'calibration'), 'calibration graph', threads);
  const ranges = new Map<string, TensorRange>();
  const shape = (model.inputs[0]?.shape ?? []).slice(1) as number[];
  try {
    for (const { x, n } of batches) {
      const feed = new ort.Tensor('float32', x, [n, ...shape]);
      const results = await session.run({ [model.inputs[0]?.name as string]: feed }, tensors);
      for (const name of tensors) {
        const data = name === model.inputs[0]?.name ? x : (results[name]?.data as Float32Array | undefined);
        if (!data) continue;
        let { min, max } = ranges.get(name) ?? {
          min: Number.POSITIVE_INFINITY,
          max: Number.NEGATIVE_INFINITY,
        };
        for (let i = 0; i < data.length; i++) {
          const v = data[i] as number;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        ranges.set(name, { min, max });
      }
      for (const value of Object.values(results)) value.dispose();
    }
  } finally {
    await session.release();
  }
  return ranges;
}
