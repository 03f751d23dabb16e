import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { buildModel, LayerScale } from '../../src/models/index.js';
import { AdamW } from '../../src/train/adamw.js';
import { SgdMomentum } from '../../src/train/sgd.js';
import { trainableVariables } from '../../src/train/model-variables.js';
import { trainStep } from '../../src/train/train-step.js';
import { randomData } from '../backend/helpers.js';

it.each([
  [64, 4, -0.001, true],
])('cfg %i px %i img lr %f scaleUp %s', async (size, images, lr, up) => {
  await tf.setBackend('cpu');
  const model = buildModel('mobilenetv4_hybrid_medium', { numClasses: 4, inputSize: size, inputChannels: 3, widthMultiplier: 0.125, dropout: 0, seed: 3 });
  if (up) for (const l of model.layers.filter((l) => l instanceof LayerScale)) l.setWeights([tf.fill(l.getWeights()[0]!.shape, 0.3)]);
  const params = trainableVariables(model).filter((v) => !/^(conv_stem|bn1|blocks\.0\.)/.test(v.name));
  console.log(trainableVariables(model).length, params.length);
  const optimizer = lr < 0 ? new AdamW(params, { learningRate: -lr }) : new SgdMomentum(params, { learningRate: lr, momentum: 0, nesterov: false });
  const x = tf.tensor4d(randomData(images * size * size * 3, 17), [images, size, size, 3]);
  const y = tf.tensor1d(Array.from({ length: images }, (_, i) => i % 4), 'int32');
  const losses: number[] = [];
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) {
    const step = trainStep({ model, params, optimizer, labelSmoothing: 0, gradClip: 1 }, x, y);
    losses.push(step.loss.dataSync()[0]!);
    losses.push(step.gradNorm.dataSync()[0]!);
    tf.dispose([step.loss, step.correct, step.gradNorm]);
  }
  console.log(size, images, lr, up, Date.now() - t0, 'ms', losses.map((l) => l.toFixed(3)).join(' '));
});
