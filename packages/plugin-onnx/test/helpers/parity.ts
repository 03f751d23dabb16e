import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import { type ConvertedModel, convertLayersModel } from '../../src/export/convert-layers-model.js';
import { serializeModel } from '../../src/onnx/serialize.js';
import { createSession, runBatch } from '../../src/runtime/session.js';
import { randomInput, randomizeNormAndBias } from './tfjs.js';

/** Result of {@link expectRawParity}: the conversion and the largest difference seen. */
export interface RawParity {
  /** The converted graph. */
  converted: ConvertedModel;
  /** max |tfjs − onnxruntime| over every output element. */
  maxAbsDiff: number;
}

/**
 * Converts `model` with raw outputs, runs 3 random images through tfjs (cpu backend) and
 * onnxruntime, and expects every output element to agree within `tolerance` (relative to the
 * output's scale).
 */
export async function expectRawParity(
  model: LayersModel,
  tolerance = 1e-5,
  mapInput: (v: number) => number = (v) => v,
): Promise<RawParity> {
  randomizeNormAndBias(model);
  const shape = (model.inputs[0]?.shape ?? []).slice(1) as number[];
  const converted = convertLayersModel(model, { output: 'raw' });
  const session = await createSession(serializeModel(converted.model, 'test'), 'test');
  const x = randomInput(3, shape, 11).map(mapInput);
  const expected = tf.tidy(
    () => (model.predict(tf.tensor(x, [3, ...shape])) as tf.Tensor).dataSync() as Float32Array,
  );
  const actual = await runBatch(session, x, [3, ...shape]);
  await session.release();
  expect(actual.length).toBe(expected.length);
  let maxAbsDiff = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs((expected[i] as number) - (actual[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  expect(maxAbsDiff / scale).toBeLessThan(tolerance);
  return { converted, maxAbsDiff };
}

/** Op types of a converted graph, in order. */
export function opTypes(converted: ConvertedModel): string[] {
  return converted.model.nodes.map((n) => n.opType);
}
