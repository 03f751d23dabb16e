import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, FAST_CNN, MOBILENETV4_CONV_SMALL, SMALL_CNN } from '../../src/models/index.js';
import { layerDecayGroups, layerGroupKey } from '../../src/train/layer-decay.js';
import { train } from '../../src/train/trainer.js';
import { syntheticSource, trainerConfig, useCpuBackend } from './helpers.js';

beforeAll(async () => {
  await useCpuBackend();
});

describe('layerGroupKey (timm MobileNetV3/V4 group_matcher, coarse=False)', () => {
  it('puts the stem first, then one group per block, the head last', () => {
    expect(layerGroupKey('conv_stem')).toEqual([0]);
    expect(layerGroupKey('bn1')).toEqual([0]);
    expect(layerGroupKey('blocks.2.0.pw_exp.conv')).toEqual([1, 2, 0]);
    expect(layerGroupKey('blocks.10.3.bn1')).toEqual([1, 10, 3]);
    for (const head of ['conv_head', 'norm_head', 'classifier', 'pre_logits.fc']) {
      expect(layerGroupKey(head)).toEqual([Number.POSITIVE_INFINITY]);
    }
  });
});

describe('layerDecayGroups', () => {
  it('numbers MobileNetV4-Conv-Small as timm: stem, 17 blocks, head; scale decay^(layers − 1 − id)', () => {
    const model = buildModel(MOBILENETV4_CONV_SMALL, { numClasses: 4, inputSize: 32, inputChannels: 3 });
    const { groups, scales } = layerDecayGroups(model, 0.8);
    expect(groups).toHaveLength(19);
    expect(groups[0]!.layers).toEqual(['conv_stem', 'bn1']);
    expect(groups[1]!.layers).toEqual(['blocks.0.0.conv', 'blocks.0.0.bn1']);
    expect(groups[9]!.layers[0]).toBe('blocks.2.4.pw_exp.conv');
    expect(groups[18]!.layers).toEqual(['conv_head', 'norm_head', 'classifier']);
    groups.forEach((g, id) => {
      expect(g.id).toBe(id);
      expect(g.scale).toBeCloseTo(0.8 ** (18 - id), 12);
    });
    // Every trainable weight has the scale of its layer's group.
    expect(scales.size).toBe(model.trainableWeights.length);
    const scaleOf = (layer: string) =>
      scales.get(model.getLayer(layer).trainableWeights[0]!.read() as tf.Variable);
    expect(scaleOf('classifier')).toBe(1);
    expect(scaleOf('blocks.4.0.conv')).toBeCloseTo(0.8, 12);
    expect(scaleOf('conv_stem')).toBeCloseTo(0.8 ** 18, 12);
    model.dispose();
  });

  it('skips blocks without parameters (max pooling) and models without a stem', () => {
    const model = buildModel(SMALL_CNN, { numClasses: 4, inputSize: 8, inputChannels: 1 });
    const { groups } = layerDecayGroups(model, 0.5);
    expect(groups.map((g) => g.layers[0])).toEqual([
      'blocks.0.0.conv',
      'blocks.0.1.conv',
      'blocks.1.0.conv',
      'blocks.1.1.conv',
      'pre_logits.fc',
    ]);
    expect(groups.map((g) => g.scale)).toEqual([0.0625, 0.125, 0.25, 0.5, 1]);
    expect(() => layerDecayGroups(model, 0)).toThrow(/layerDecay/);
    model.dispose();
  });
});

describe('train with layerDecay', () => {
  function fastCnn(): LayersModel {
    return buildModel(FAST_CNN, {
      numClasses: 3,
      inputSize: 8,
      inputChannels: 1,
      widthMultiplier: 0.25,
      seed: 1,
    });
  }

  async function change(layer: string, layerDecay: number | undefined, lines: string[]): Promise<number> {
    const model = fastCnn();
    const variable = model.getLayer(layer).trainableWeights[0]!.read();
    const before = Float32Array.from(await variable.data());
    await train({
      model,
      train: syntheticSource({ size: 32, numClasses: 3, seed: 7, shuffle: true }),
      validation: syntheticSource({ size: 16, numClasses: 3, seed: 8, shuffle: false }),
      config: trainerConfig({ epochs: 1, warmupEpochs: 0, ema: { enabled: false, decay: 0.9 }, layerDecay }),
      logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
    });
    const after = await variable.data();
    const delta = before.reduce((m, v, i) => Math.max(m, Math.abs(v - after[i]!)), 0);
    model.dispose();
    return delta;
  }

  it('trains the lowest block at layerDecay^(groups − 1) of the rate, the head at the full rate', async () => {
    const lines: string[] = [];
    // fast_cnn: blocks.0.0, blocks.1.0, blocks.2.0, head → the first block at 0.1³.
    const decayed = await change('blocks.0.0.conv', 0.1, lines);
    const full = await change('blocks.0.0.conv', undefined, []);
    expect(decayed).toBeGreaterThan(0);
    expect(decayed).toBeLessThan(full * 0.01);
    const headDecayed = await change('classifier', 0.1, []);
    const headFull = await change('classifier', undefined, []);
    expect(headDecayed).toBeGreaterThan(headFull * 0.2);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^Layer-wise lr decay 0\.1: 4 groups, from blocks\.0\.0\.conv, blocks\.0\.0\.bn1 ×0\.00100 to pre_logits\.fc, classifier ×1\.00/,
      ),
    );
  });
});
