/**
 * MobileNetV4-Hybrid-Medium trains on the backends without a GPU: a few optimizer steps of the
 * tiny (×0.125) hybrid lower the loss on cpu and on wasm (where the attention's BatchMatMul and
 * Softmax gradients and the depthwise/conv gradient kernels of `registerWasmTrainingKernels` run),
 * and the two backends agree on the gradients of every weight, attention and layer scale included.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { buildModel, LayerScale, MOBILENETV4_HYBRID_MEDIUM } from '../../src/models/index.js';
import { AdamW } from '../../src/train/adamw.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { trainableVariables } from '../../src/train/model-variables.js';
import { trainStep } from '../../src/train/train-step.js';
import { expectClose, randomData } from '../backend/helpers.js';

const SIZE = 32;
const BATCH = 8;
const CLASSES = 4;

beforeAll(async () => {
  await selectBackend('wasm'); // registers the wasm backend and its training kernels
  await tf.setBackend('cpu');
});

function tinyHybrid(): LayersModel {
  const model = buildModel(MOBILENETV4_HYBRID_MEDIUM, {
    numClasses: CLASSES,
    inputSize: SIZE,
    inputChannels: 3,
    widthMultiplier: 0.125,
    dropout: 0,
    seed: 3,
  });
  // Larger than timm's 1e-5 start, so the attention and residual branches carry gradient signal.
  for (const layer of model.layers.filter((l) => l instanceof LayerScale)) {
    layer.setWeights([tf.fill(layer.getWeights()[0]!.shape, 0.3)]);
  }
  return model;
}

function batch(): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const x = tf.tensor4d(randomData(BATCH * SIZE * SIZE * 3, 17), [BATCH, SIZE, SIZE, 3]);
  const y = tf.tensor1d(
    Array.from({ length: BATCH }, (_, i) => i % CLASSES),
    'int32',
  );
  return { x, y };
}

describe.each(['cpu', 'wasm'])('mobilenetv4_hybrid_medium ×0.125 on %s', (backend) => {
  it('lowers the loss on a repeated batch in a few steps', async () => {
    await tf.setBackend(backend);
    const model = tinyHybrid();
    const params = trainableVariables(model);
    const optimizer = new AdamW(params, { learningRate: 0.005 });
    const { x, y } = batch();
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const step = trainStep({ model, params, optimizer, labelSmoothing: 0, gradClip: 0 }, x, y);
      losses.push((await step.loss.data())[0]!);
      expect((await step.gradNorm.data())[0]).toBeGreaterThan(0);
      tf.dispose([step.loss, step.correct, step.gradNorm]);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.8);
    optimizer.dispose();
    tf.dispose([x, y]);
    model.dispose();
    await tf.setBackend('cpu');
  });
});

describe('mobilenetv4_hybrid_medium gradients', () => {
  it('agree between wasm and cpu for every weight (attention and layer scale included)', async () => {
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const model = tinyHybrid();
      const params = trainableVariables(model);
      const { x, y } = batch();
      const out = tf.tidy(() => {
        const { value, grads: g } = tf.variableGrads(() => {
          const logits = model.apply(x, { training: true }) as tf.Tensor;
          return softmaxCrossEntropy(logits, y, 0) as tf.Scalar;
        }, params as tf.Variable[]);
        return [value, ...params.map((p) => g[p.name]!)];
      });
      const values = await Promise.all(out.map(async (t) => Float32Array.from(await t.data())));
      const names = params.map((p) => p.name.replace(/_\d+$/, ''));
      tf.dispose([...out, x, y]);
      model.dispose();
      return { values, names };
    };
    const wasm = await grads('wasm');
    const cpu = await grads('cpu');
    expect(wasm.names).toEqual(cpu.names);
    expect(cpu.names.some((n) => n.includes('attn.query.proj'))).toBe(true);
    expect(cpu.names.some((n) => n.includes('layer_scale'))).toBe(true);
    expectClose(wasm.values[0]!, cpu.values[0]!, 1e-4, 'loss');
    cpu.names.forEach((name, i) => {
      expectClose(wasm.values[i + 1]!, cpu.values[i + 1]!, 2e-3, `d ${name}`);
    });
  });
});
