/**
 * MobileNetV4-Hybrid-Medium trains on the backends without a GPU: a few optimizer steps of the
 * tiny (×0.125) hybrid lower the loss on cpu and on wasm (where the attention's BatchMatMul and
 * Softmax gradients and the conv gradient kernels of `registerWasmTrainingKernels` run); the two
 * backends agree on the gradients of every weight of a small er/uir/mqa network, and those match
 * finite differences.
 *
 * Sizes. Below 64 px the hybrid is degenerate: at 32 px every MQA block sees one key position
 * (stage 2 runs at 2×2 with keys/values down-sampled to 1×1, stage 3 at 1×1), so its softmax is
 * constant, and BatchNorm over a few 1×1 maps gives gradient norms around 1e7 — no step size
 * lowers the loss reliably. At 64 px (4 key positions in both attention stages) a few Adam steps
 * do. The cpu backend's conv gradients are slow (≈3-5 M multiply-adds/s), so the cpu run leaves
 * the stem and the FusedIB block (a fixed 32→128 3×3 conv at 32×32) frozen and takes 2 steps;
 * wasm trains every weight.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import {
  buildModel,
  buildNetwork,
  LayerScale,
  MOBILENETV4_HYBRID_MEDIUM,
  type NetworkSpec,
} from '../../src/models/index.js';
import { AdamW } from '../../src/train/adamw.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { trainableVariables } from '../../src/train/model-variables.js';
import { trainStep } from '../../src/train/train-step.js';
import { expectClose, randomData } from '../backend/helpers.js';

const CLASSES = 4;

beforeAll(async () => {
  await selectBackend('wasm'); // registers the wasm backend and its training kernels
  await tf.setBackend('cpu');
});

/** Larger layer scales than timm's 1e-5 start, so the residual branches carry gradient signal. */
function scaleUp(model: LayersModel): LayersModel {
  for (const layer of model.layers.filter((l) => l instanceof LayerScale)) {
    layer.setWeights([tf.fill(layer.getWeights()[0]!.shape, 0.3)]);
  }
  return model;
}

function tinyHybrid(inputSize: number): LayersModel {
  const opts = {
    numClasses: CLASSES,
    inputSize,
    inputChannels: 3,
    widthMultiplier: 0.125,
    dropout: 0,
    seed: 3,
  };
  return scaleUp(buildModel(MOBILENETV4_HYBRID_MEDIUM, opts));
}

function batch(size: number, images: number, channels = 3): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const x = tf.tensor4d(randomData(images * size * size * channels, 17), [images, size, size, channels]);
  const y = tf.tensor1d(
    Array.from({ length: images }, (_, i) => i % CLASSES),
    'int32',
  );
  return { x, y };
}

async function trainLosses(
  model: LayersModel,
  size: number,
  images: number,
  steps: number,
  frozen?: RegExp,
): Promise<number[]> {
  const params = trainableVariables(model).filter((v) => !frozen?.test(v.name));
  const optimizer = new AdamW(params, { learningRate: 0.001 });
  const { x, y } = batch(size, images);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const step = trainStep({ model, params, optimizer, labelSmoothing: 0, gradClip: 1 }, x, y);
    losses.push((await step.loss.data())[0]!);
    expect((await step.gradNorm.data())[0]).toBeGreaterThan(0);
    tf.dispose([step.loss, step.correct, step.gradNorm]);
  }
  optimizer.dispose();
  tf.dispose([x, y]);
  return losses;
}

describe('mobilenetv4_hybrid_medium ×0.125 trains at 64 px', () => {
  it.each([
    ['cpu', 2, /^(conv_stem|bn1|blocks\.0\.)/],
    ['wasm', 5, undefined],
  ] as const)('on %s: the loss falls in %i steps on a repeated batch', async (backend, steps, frozen) => {
    await tf.setBackend(backend);
    const model = tinyHybrid(64);
    const losses = await trainLosses(model, 64, 4, steps, frozen);
    model.dispose();
    await tf.setBackend('cpu');
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.75);
  });
});

/** FusedIB, ExtraDW with layer scale, MQA with and without key/value down-sampling; 8×8 input. */
const SMALL_HYBRID: NetworkSpec = {
  stages: [
    ['er_k3_s1_e2_c16', 'uir_a3_k3_s1_e2_c16'],
    ['mqa_k3_h2_v2_d8_c16', 'mqa_k3_h2_d8_c16', 'uir_a0_k0_s1_e2_c16'],
  ],
  head: { kind: 'pooled_conv', hiddenChannels: 32, norm: true },
  defaultDropout: 0,
  layerScaleInit: 1e-5,
};

describe('hybrid blocks: gradients', () => {
  it('agree between wasm and cpu for every weight (attention and layer scale included)', async () => {
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const opts = { numClasses: CLASSES, inputSize: 8, inputChannels: 4, seed: 11 };
      const model = scaleUp(buildNetwork('small_hybrid', SMALL_HYBRID, opts));
      const params = trainableVariables(model);
      const { x, y } = batch(8, 4, 4);
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
    await tf.setBackend('cpu');
    expect(wasm.names).toEqual(cpu.names);
    const query = cpu.names.findIndex((n) => n.startsWith('blocks.1.0.attn.query.proj'));
    const downConv = cpu.names.findIndex((n) => n.startsWith('blocks.1.0.attn.key.down_conv'));
    expect(query).toBeGreaterThanOrEqual(0);
    expect(downConv).toBeGreaterThanOrEqual(0);
    // The attention is not degenerate: the query projection gets a gradient (4 key positions).
    expect(Math.max(...cpu.values[query + 1]!.map(Math.abs))).toBeGreaterThan(1e-6);
    expect(cpu.names.filter((n) => n.includes('layer_scale'))).toHaveLength(4);
    expectClose(wasm.values[0]!, cpu.values[0]!, 1e-4, 'loss');
    cpu.names.forEach((name, i) => {
      expectClose(wasm.values[i + 1]!, cpu.values[i + 1]!, 1e-3, `d ${name}`);
    });
  });
});

describe('hybrid blocks: gradients against finite differences (cpu)', () => {
  it('the attention and layer-scale gradient is the slope of the loss along it', async () => {
    await tf.setBackend('cpu');
    const opts = { numClasses: CLASSES, inputSize: 8, inputChannels: 4, seed: 5 };
    const model = scaleUp(buildNetwork('small_hybrid', SMALL_HYBRID, opts));
    const params = trainableVariables(model).filter((v) => /\.attn\.|layer_scale/.test(v.name));
    // q/k/v/output projections of both MQA blocks (8), the first one's key and value down_conv and
    // norm γ, β (6), and the 4 layer scales
    expect(params.length).toBe(18);
    const { x, y } = batch(8, 4, 4);
    const loss = () =>
      tf.tidy(() => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y, 0) as tf.Scalar);
    const { value, grads } = tf.variableGrads(loss, params as tf.Variable[]);
    const direction = params.map((p) => grads[p.name]!);
    const slope = Math.sqrt(
      direction.reduce((acc, g) => acc + tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]!), 0),
    );
    const original = params.map((p) => tf.clone(p));
    const lossAt = (t: number) => {
      params.forEach((p, i) => {
        const moved = tf.tidy(() => tf.add(original[i]!, tf.mul(direction[i]!, t / slope)));
        p.assign(moved);
        moved.dispose();
      });
      const l = loss();
      const out = l.dataSync()[0]!;
      l.dispose();
      return out;
    };
    const eps = 1e-3;
    const finite = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
    params.forEach((p, i) => {
      p.assign(original[i]!);
    });
    expect(slope).toBeGreaterThan(1e-3);
    expect(Math.abs(finite - slope) / slope).toBeLessThan(2e-2);
    tf.dispose([value, ...direction, ...original, x, y]);
    model.dispose();
  });
});
