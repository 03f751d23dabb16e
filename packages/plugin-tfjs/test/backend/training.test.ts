/**
 * End-to-end: gradients of a small conv + depthwise + batch-norm network agree between wasm and cpu,
 * and a tfjs-layers model trains on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { expectClose, randomData, runOn } from './helpers.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** Shapes of the parameters of `loss`, in order. */
const PARAMS: Record<string, number[]> = {
  stem: [3, 3, 3, 8],
  gamma1: [8],
  beta1: [8],
  dw5: [5, 5, 8, 1],
  pw: [1, 1, 8, 8],
  dw3: [3, 3, 8, 1],
  pw2: [1, 1, 8, 12],
  gamma2: [12],
  beta2: [12],
  dense: [12, 4],
};

function batchNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm4d(
    x,
    mean as tf.Tensor1D,
    variance as tf.Tensor1D,
    beta as tf.Tensor1D,
    gamma as tf.Tensor1D,
    1e-3,
  );
}

/** MobileNet-style block stack: conv s2, BN, relu6, dw5 s1, 1x1 + residual, dw3 s2 valid, 1x1, BN, GAP, dense. */
function loss(v: Record<string, tf.Tensor>, x: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar {
  let h = tf.conv2d(x, v.stem as tf.Tensor4D, 2, 'same');
  h = tf.relu6(batchNorm(h, v.gamma1!, v.beta1!));
  const d = tf.relu(tf.depthwiseConv2d(h, v.dw5 as tf.Tensor4D, 1, 'same'));
  h = tf.add(tf.conv2d(d, v.pw as tf.Tensor4D, 1, 'same'), h);
  h = tf.depthwiseConv2d(h, v.dw3 as tf.Tensor4D, 2, 'valid');
  h = tf.relu(batchNorm(tf.conv2d(h, v.pw2 as tf.Tensor4D, 1, 'same'), v.gamma2!, v.beta2!));
  const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
  return tf.losses.softmaxCrossEntropy(labels, tf.matMul(pooled, v.dense as tf.Tensor2D)) as tf.Scalar;
}

describe('training on wasm', () => {
  it('variableGrads of a conv + depthwise + batch-norm model match cpu', async () => {
    const names = Object.keys(PARAMS);
    const grads = (): tf.Tensor[] => {
      const vars: Record<string, tf.Variable> = {};
      names.forEach((n, i) => {
        const shape = PARAMS[n]!;
        const init = n.startsWith('gamma')
          ? tf.ones(shape)
          : tf.mul(tf.tensor(randomData(tf.util.sizeFromShape(shape), 100 + i), shape), 0.5);
        vars[n] = tf.variable(init, true, `${n}_${tf.getBackend()}_${Math.random()}`);
      });
      const x = tf.tensor4d(randomData(3 * 15 * 13 * 3, 7), [3, 15, 13, 3]);
      const labels = tf.oneHot(tf.tensor1d([0, 3, 1], 'int32'), 4) as tf.Tensor2D;
      const { value, grads: g } = tf.variableGrads(() => loss(vars, x, labels));
      const out = [value, ...names.map((n) => g[vars[n]!.name]!)];
      tf.dispose(Object.values(vars));
      return out;
    };
    const wasm = await runOn('wasm', grads);
    const cpu = await runOn('cpu', grads);
    expect(wasm.length).toBe(names.length + 1);
    expectClose(wasm[0]!, cpu[0]!, 1e-4, 'loss');
    names.forEach((n, i) => {
      expectClose(wasm[i + 1]!, cpu[i + 1]!, 1e-4, `d${n}`);
    });
  });

  it('fits a small tfjs-layers CNN', async () => {
    await tf.setBackend('wasm');
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [16, 16, 3],
          filters: 8,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
        }),
        tfl.layers.batchNormalization(),
        tfl.layers.reLU(),
        tfl.layers.depthwiseConv2d({ kernelSize: 5, strides: 2, padding: 'same', useBias: false }),
        tfl.layers.batchNormalization(),
        tfl.layers.reLU({ maxValue: 6 }),
        tfl.layers.conv2d({ filters: 12, kernelSize: 1 }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.dropout({ rate: 0.2 }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const xs = tf.tensor4d(randomData(16 * 16 * 16 * 3, 21), [16, 16, 16, 3]);
    const ys = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 16 }, (_, i) => i % 4),
        'int32',
      ),
      4,
    );
    const before = model.getWeights()[0]!.dataSync().slice();
    const history = await model.fit(xs, ys, { epochs: 3, batchSize: 8, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses).toHaveLength(3);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    const after = model.getWeights()[0]!.dataSync();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
