import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, transferWeights } from '../../src/models/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The layer's weights as raw bytes; comparing buffers is far faster than deep-equal on 1M floats. */
function layerValues(model: LayersModel, name: string): Buffer[] {
  return model
    .getLayer(name)
    .getWeights()
    .map((w) => {
      const data = w.dataSync();
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    });
}

function same(a: Buffer[], b: Buffer[]): boolean {
  return a.length === b.length && a.every((buf, i) => buf.equals(b[i]!));
}

describe('transferWeights', () => {
  it('copies every same-shaped layer and re-initialises only the head when classes change', () => {
    const source = buildModel('mobilenetv4_conv_small', {
      numClasses: 10,
      inputSize: 32,
      inputChannels: 3,
      seed: 1,
    });
    const target = buildModel('mobilenetv4_conv_small', {
      numClasses: 12,
      inputSize: 32,
      inputChannels: 3,
      seed: 2,
    });
    const freshHead = layerValues(target, 'classifier');

    const report = transferWeights(target, source);

    expect(report.reinitialized).toEqual(['classifier']);
    expect(report.skipped).toEqual([]);
    const withWeights = target.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
    expect(report.copied.sort()).toEqual(withWeights.filter((n) => n !== 'classifier').sort());
    for (const name of report.copied)
      expect(same(layerValues(target, name), layerValues(source, name))).toBe(true);
    expect(same(layerValues(target, 'classifier'), freshHead)).toBe(true);
    expect(same(layerValues(target, 'classifier'), layerValues(source, 'classifier'))).toBe(false);
    // The copies are independent: changing the source afterwards leaves the target alone.
    const before = layerValues(target, 'conv_stem');
    source.getLayer('conv_stem').setWeights([tf.zeros([3, 3, 3, 32])]);
    expect(same(layerValues(target, 'conv_stem'), before)).toBe(true);
    source.dispose();
    target.dispose();
  });

  it('reports layers missing from the source as skipped', () => {
    const source = buildModel('small_cnn', { numClasses: 3, inputSize: 28, inputChannels: 1, seed: 1 });
    const target = buildModel('mobilenetv4_conv_small', {
      numClasses: 3,
      inputSize: 28,
      inputChannels: 1,
      seed: 1,
    });
    const report = transferWeights(target, source);
    expect(report.skipped).toContain('conv_stem');
    expect(report.reinitialized).toEqual(expect.arrayContaining(['blocks.0.0.conv', 'classifier']));
    // Only BNs whose names and channel counts happen to coincide are copied.
    expect(report.copied).toEqual(['blocks.0.0.bn1', 'blocks.0.1.bn1', 'blocks.1.1.bn1']);
    source.dispose();
    target.dispose();
  });
});
