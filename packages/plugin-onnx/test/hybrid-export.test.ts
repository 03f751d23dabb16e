/**
 * MobileNetV4-Hybrid-Medium (×0.125, timm's own weights from plugin-tfjs's fixtures) through the
 * export stage: the fp32 model passes the tfjs ↔ onnxruntime parity gate, gives timm's
 * probabilities on timm's preprocessed images, and the int8 path runs (attention stays float).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, loadTimmStateDict, readSafetensors } from '@mlops/plugin-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../src/runtime/session.js';
import { agreement, onnxProbabilities } from '../src/stage/compare.js';
import { exportOnnx } from '../src/stage/export-onnx.js';
import { resolveExporterOptions } from '../src/stage/exporter-options.js';
import type { NormalizedSample } from '../src/stage/samples.js';
import { randomInput, useCpuBackend } from './helpers/tfjs.js';

beforeAll(useCpuBackend);

const FIXTURE = fileURLToPath(
  new URL('../../plugin-tfjs/test/fixtures/timm/mobilenetv4_hybrid_medium_tiny/', import.meta.url),
);
const SHAPE: [number, number, number] = [64, 64, 3];
const PIXELS = 64 * 64 * 3;

/** timm's two preprocessed images, NCHW float32 → NHWC. */
function timmImages(): Float32Array {
  const bytes = readFileSync(join(FIXTURE, 'input.bin'));
  const nchw = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out = new Float32Array(nchw.length);
  for (let n = 0; n < 2; n++)
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 64 * 64; p++) out[(n * 64 * 64 + p) * 3 + c] = nchw[(n * 3 + c) * 64 * 64 + p]!;
  return out;
}

function sample(split: string, x: Float32Array, labels: Int32Array): NormalizedSample {
  return {
    split,
    count: labels.length,
    shape: SHAPE,
    x,
    labels,
    normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  };
}

describe('exportOnnx of mobilenetv4_hybrid_medium with timm’s weights', () => {
  it('passes the parity gate and reproduces timm’s probabilities in onnxruntime', async () => {
    const model = buildModel('mobilenetv4_hybrid_medium', {
      numClasses: 4,
      inputSize: 64,
      inputChannels: 3,
      widthMultiplier: 0.125,
    });
    const { tensors, file } = await readSafetensors(join(FIXTURE, 'model.safetensors'));
    loadTimmStateDict(model, tensors, { file, headLayers: ['classifier'], head: { mode: 'keep' } });
    const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as {
      probabilities: number[][];
      labelNames: string[];
    };
    // Parity on timm's images plus noise images at the input's scale (std ≈ 1.3).
    const images = 32;
    const x = new Float32Array(images * PIXELS);
    x.set(timmImages());
    x.set(
      randomInput(images - 2, SHAPE, 4).map((v) => v * 2.2),
      2 * PIXELS,
    );
    const predicted = tf.tidy(() =>
      Int32Array.from(tf.argMax(model.predict(tf.tensor(x, [images, ...SHAPE])) as tf.Tensor, 1).dataSync()),
    );
    const warnings: string[] = [];
    const results = await exportOnnx({
      model,
      metadata: {
        labels: expected.labelNames,
        preprocessing: {
          size: 64,
          channels: 3,
          mean: [0.485, 0.456, 0.406],
          std: [0.229, 0.224, 0.225],
          resize: 'timm',
          cropPct: 0.95,
          interpolation: 'bicubic',
        },
        modelName: 'hybrid',
        modelVersion: 1,
        runId: 'run-hybrid',
        architecture: 'mobilenetv4_hybrid_medium',
      },
      parity: sample('validation', x, predicted),
      calibration: sample('train', x, predicted),
      heldOut: sample('test', x, predicted),
      options: resolveExporterOptions({ maxAccuracyDrop: 100 }),
      quantize: true,
      warn: (m) => void warnings.push(m),
    });
    expect(warnings).toEqual([]);
    expect(results.map((r) => r.format)).toEqual(['onnx', 'onnx-int8']);
    const fp32 = results[0]!;
    // The gate itself allows 1e-4; measured ≈ 1e-6.
    expect(fp32.details.parityMaxAbsDiff as number).toBeLessThan(1e-5);
    expect(fp32.details.parityTop1Agreement).toBe(1);
    expect(fp32.details.opset).toBe(13);
    expect(results[1]!.details.quantizedWeights as number).toBeGreaterThan(0);

    const session = await createSession(fp32.bytes, 'hybrid');
    const onnx = await onnxProbabilities(session, x.subarray(0, 2 * PIXELS), 2, SHAPE);
    await session.release();
    const timm = Float32Array.from(expected.probabilities.flat());
    expect(agreement(timm, onnx, 4).maxAbsDiff).toBeLessThan(1e-4);
    model.dispose();
  });
});
