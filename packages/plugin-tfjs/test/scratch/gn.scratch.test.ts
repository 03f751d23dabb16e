import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { buildModel } from '../../src/models/index.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { trainableVariables } from '../../src/train/model-variables.js';
import { randomData } from '../backend/helpers.js';

it.each([[16, 4, 'mobilenetv4_hybrid_medium', 0.125], [64, 4, 'mobilenetv4_hybrid_medium', 0.125], [16, 4, 'mobilenetv4_conv_small', 0.35]])('gn %i %i %s', async (size, images, arch, wm) => {
  await selectBackend('wasm');
  const model = buildModel(arch, { numClasses: 4, inputSize: size, inputChannels: 3, widthMultiplier: wm, dropout: 0, seed: 3 });
  const params = trainableVariables(model);
  const x = tf.tensor4d(randomData(images * size * size * 3, 17), [images, size, size, 3]);
  const y = tf.tensor1d(Array.from({ length: images }, (_, i) => i % 4), 'int32');
  const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y, 0) as tf.Scalar, params as tf.Variable[]);
  const norms = params.map((p) => [p.name, tf.norm(grads[p.name]!).dataSync()[0]!] as const).sort((a, b) => b[1] - a[1]);
  console.log(size, arch, value.dataSync()[0], norms.slice(0, 8).map(([n, v]) => `${n}: ${v.toExponential(2)}`).join('\n'));
});
