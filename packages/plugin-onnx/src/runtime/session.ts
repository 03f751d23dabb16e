import { MlopsError } from '@mlops/core';
import * as ort from 'onnxruntime-node';

/** Thread settings of an onnxruntime session. */
export interface SessionThreads {
  /** Threads inside one operator (ORT `intraOpNumThreads`); default: ORT's choice (all cores). */
  intraOp?: number;
  /** Threads running independent operators (ORT `interOpNumThreads`); default 1. */
  interOp?: number;
}

/**
 * Creates a CPU inference session from ONNX bytes, with all graph optimizations (BatchNorm and
 * QDQ fusions). A file onnxruntime cannot read becomes `MLOPS_ERR_STORE_CORRUPT` naming `source`.
 */
export async function createSession(
  bytes: Uint8Array,
  source: string,
  threads: SessionThreads = {},
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      ...(threads.intraOp ? { intraOpNumThreads: threads.intraOp } : {}),
      ...(threads.interOp ? { interOpNumThreads: threads.interOp } : {}),
    });
  } catch (error) {
    throw new MlopsError(
      'MLOPS_ERR_STORE_CORRUPT',
      `${source}: onnxruntime cannot load the model (${(error as Error).message})`,
      {
        file: source,
        cause: error,
        hint: 'Re-export the model (mlops run export --force) and register it again; the file is damaged or not ONNX.',
      },
    );
  }
}

/** Runs a single-input, single-output session on an NHWC float batch; returns the output data. */
export async function runBatch(
  session: ort.InferenceSession,
  x: Float32Array,
  shape: readonly number[],
): Promise<Float32Array> {
  const inputName = session.inputNames[0] as string;
  const outputName = session.outputNames[0] as string;
  const input = new ort.Tensor('float32', x, [...shape]);
  const result = await session.run({ [inputName]: input });
  const output = result[outputName];
  if (!output) throw new Error(`session produced no '${outputName}' output`);
  const data = output.data as Float32Array;
  input.dispose();
  return data;
}
