import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelParameterCount } from '../../src/model-io/index.js';
import { buildModel, SMALL_CNN } from '../../src/models/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('small_cnn', () => {
  it.each([
    [28, 1],
    [28, 3],
    [32, 1],
    [7, 1],
  ])('outputs [batch, classes] logits at %i px, %i channel(s)', (size, channels) => {
    const model = buildModel(SMALL_CNN, {
      numClasses: 10,
      inputSize: size,
      inputChannels: channels,
      seed: 1,
    });
    const x = tf.randomUniform([3, size, size, channels], 0, 1, 'float32', 5);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([3, 10]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('is small (~0.47M params at 28×28×1, 10 classes) and uses only fast-kernel layer types', () => {
    const model = buildModel(SMALL_CNN, { numClasses: 10, inputSize: 28, inputChannels: 1 });
    expect(modelParameterCount(model).trainable).toBe(468_010);
    const allowed = new Set([
      'InputLayer',
      'Conv2D',
      'BatchNormalization',
      'ReLU',
      'MaxPooling2D',
      'Flatten',
      'Dense',
      'Dropout',
    ]);
    for (const layer of model.layers) expect(allowed).toContain(layer.getClassName());
    expect(model.layers.filter((l) => l.getClassName() === 'Conv2D')).toHaveLength(4);
    model.dispose();
  });

  it('omits dropout when the rate is 0 and scales with the width multiplier', () => {
    const model = buildModel(SMALL_CNN, {
      numClasses: 10,
      inputSize: 28,
      inputChannels: 1,
      dropout: 0,
      widthMultiplier: 0.5,
    });
    expect(model.layers.some((l) => l.getClassName() === 'Dropout')).toBe(false);
    expect(model.getLayer('blocks.1.1.conv').getWeights()[0]!.shape).toEqual([3, 3, 32, 32]);
    model.dispose();
  });
});
