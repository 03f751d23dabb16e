/**
 * int8 quantization of a genuinely trained fast_cnn (2 epochs on 5,000 Fashion-MNIST images):
 * size, held-out accuracy against fp32, and that onnxruntime really runs integer kernels.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '@mlops/plugin-tfjs';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { convertLayersModel } from '../src/export/convert-layers-model.js';
import { serializeModel } from '../src/onnx/serialize.js';
import { calibrateRanges } from '../src/quantize/calibrate.js';
import { quantizeQdq } from '../src/quantize/qdq.js';
import { quantizeBias, quantizeWeightsPerChannel, uint8Params } from '../src/quantize/quant-params.js';
import { createSession, runBatch } from '../src/runtime/session.js';
import { agreement } from '../src/stage/compare.js';
import { exportedFixture } from './helpers/exported.js';
import { randomInput, randomizeNormAndBias, useCpuBackend } from './helpers/tfjs.js';

/** Op types of the graph onnxruntime runs for `bytes` (after its QDQ fusions), with counts. */
async function optimizedOps(bytes: Uint8Array): Promise<Record<string, number>> {
  const file = join(await mkdtemp(join(tmpdir(), 'mlops-onnx-q-')), 'optimized.onnx');
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'extended',
    optimizedModelFilePath: file,
  });
  await session.release();
  const counts: Record<string, number> = {};
  for (const node of onnxProto.onnx.ModelProto.decode(await readFile(file)).graph?.node ?? []) {
    counts[node.opType ?? ''] = (counts[node.opType ?? ''] ?? 0) + 1;
  }
  return counts;
}

describe('quantization parameters', () => {
  it('uint8 ranges hold 0 exactly (an integer zero point) and cover the range to within a step', () => {
    for (const range of [
      { min: -1.3, max: 4.1 },
      { min: 0.2, max: 3 },
      { min: -5, max: -1 },
      { min: 0, max: 6 },
    ]) {
      const { scale, zeroPoint } = uint8Params(range);
      expect(Number.isInteger(zeroPoint)).toBe(true);
      expect(zeroPoint).toBeGreaterThanOrEqual(0);
      expect(zeroPoint).toBeLessThanOrEqual(255);
      expect((0 - zeroPoint) * scale).toBeLessThanOrEqual(Math.min(0, range.min) + scale / 2 + 1e-9);
      expect((255 - zeroPoint) * scale).toBeGreaterThanOrEqual(Math.max(0, range.max) - scale / 2 - 1e-9);
    }
    expect(uint8Params({ min: 0, max: 6 }).zeroPoint).toBe(0);
  });

  it('per-channel int8 weights are within half a step of the floats', () => {
    const weights = Float32Array.from([0.5, -0.25, 0.125, 0, 10, -3, 7.5, 1]);
    const { values, scales } = quantizeWeightsPerChannel(weights, 2);
    expect(Array.from(scales)).toEqual([0.5 / 127, 10 / 127].map(Math.fround));
    weights.forEach((w, i) => {
      const scale = scales[Math.floor(i / 4)] as number;
      expect(Math.abs((values[i] as number) * scale - w)).toBeLessThanOrEqual(scale / 2 + 1e-7);
    });
    const bias = quantizeBias(Float32Array.from([0.3, -2]), 0.02, scales);
    expect(Math.abs((bias.values[1] as number) * (bias.scales[1] as number) + 2)).toBeLessThan(
      bias.scales[1] as number,
    );
  });
});

describe('int8 export of a trained model', () => {
  it('is ≤ 30% of fp32, loses ≤ 1 point of held-out top-1, and runs integer kernels', async () => {
    const { results } = await exportedFixture();
    const fp32 = results.find((r) => r.format === 'onnx');
    const int8 = results.find((r) => r.format === 'onnx-int8');
    expect(fp32 && int8).toBeTruthy();
    const d = int8?.details as {
      accuracyImages: number;
      fp32Top1: number;
      int8Top1: number;
      sizeRatio: number;
      top1DropPoints: number;
      top1AgreementWithFp32: number;
    };
    expect(d.accuracyImages).toBe(1000);
    // Genuinely trained: far above chance (0.1).
    expect(d.fp32Top1).toBeGreaterThan(0.75);
    expect(d.sizeRatio).toBeLessThanOrEqual(0.3);
    expect((int8?.bytes.length ?? 0) / (fp32?.bytes.length ?? 1)).toBeCloseTo(d.sizeRatio, 10);
    expect(d.top1DropPoints).toBeLessThanOrEqual(1);
    expect(d.top1DropPoints).toBeCloseTo((d.fp32Top1 - d.int8Top1) * 100, 10);
    expect(d.top1AgreementWithFp32).toBeGreaterThan(0.95);

    // onnxruntime fuses the QDQ pairs into integer kernels. The 1-channel stem conv stays float
    // (faster than QLinearConv on 9-term dot products) and so does its pool; one
    // QuantizeLinear follows them, and nothing else is left dequantized-float.
    const ops = await optimizedOps(int8?.bytes as Uint8Array);
    expect(ops.QLinearConv).toBe(2);
    expect(ops.QGemm).toBe(2);
    expect(ops.Conv).toBe(1);
    expect(ops.QuantizeLinear).toBe(1);
    expect(ops.DequantizeLinear ?? 0).toBe(0);
    expect(ops.Gemm ?? 0).toBe(0);
  });

  it('MobileNetV4 (residual Adds, global pool, 1×1 head) runs entirely on integer kernels', async () => {
    await useCpuBackend();
    const model = buildModel('mobilenetv4_conv_small', {
      numClasses: 10,
      inputSize: 32,
      inputChannels: 3,
      seed: 1,
    });
    randomizeNormAndBias(model, 2);
    const { model: graph } = convertLayersModel(model);
    model.dispose();
    const shape = [32, 32, 3];
    const quantized = quantizeQdq(
      graph,
      await calibrateRanges(graph, [{ x: randomInput(64, shape, 5), n: 64 }]),
    );
    const count = (op: string) => graph.nodes.filter((n) => n.opType === op).length;
    expect(quantized.quantizedWeights).toBe(count('Conv') + count('Gemm'));
    const bytes = serializeModel(quantized.model, 'test');
    const ops = await optimizedOps(bytes);
    expect(ops.QLinearConv).toBe(count('Conv'));
    expect(ops.QLinearAdd).toBe(count('Add'));
    expect(ops.QLinearGlobalAveragePool).toBe(1);
    expect(ops.Conv ?? 0).toBe(0);
    expect(ops.Add ?? 0).toBe(0);
    // And it still computes the same function (random weights, so a loose bound).
    const x = randomInput(64, shape, 6);
    const fp32 = await runBatch(await createSession(serializeModel(graph, 'test'), 'fp32'), x, [
      64,
      ...shape,
    ]);
    const int8 = await runBatch(await createSession(bytes, 'int8'), x, [64, ...shape]);
    const match = agreement(fp32, int8, 10);
    expect(match.top1Agreement).toBeGreaterThanOrEqual(0.9);
    expect(match.maxAbsDiff).toBeLessThan(0.1);
  });
});
