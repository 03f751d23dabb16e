import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, type ModelBuildOptions } from '../../src/models/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function weightsEqual(a: LayersModel, b: LayersModel): boolean {
  const wa = a.getWeights();
  const wb = b.getWeights();
  return wa.length === wb.length && wa.every((w, i) => tf.all(tf.equal(w, wb[i]!)).dataSync()[0] === 1);
}

describe.each(['small_cnn', 'mobilenetv4_conv_small'])('seeded builds of %s', (arch) => {
  const opts: ModelBuildOptions = { numClasses: 5, inputSize: 32, inputChannels: 3, seed: 42 };

  it('are reproducible with the same seed and differ with another', () => {
    const a = buildModel(arch, opts);
    const b = buildModel(arch, opts);
    const c = buildModel(arch, { ...opts, seed: 43 });
    expect(weightsEqual(a, b)).toBe(true);
    expect(weightsEqual(a, c)).toBe(false);
    for (const m of [a, b, c]) m.dispose();
  });

  it('gives same-shaped layers different initial values within one model', () => {
    const m = buildModel(arch, opts);
    const convs = m.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.getWeights()[0]!);
    const [first, second] = convs.filter((w) => w.shape.join() === convs[1]!.shape.join());
    if (first && second) expect(tf.all(tf.equal(first, second)).dataSync()[0]).toBe(0);
    m.dispose();
  });
});
