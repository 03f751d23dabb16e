import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelParameterCount } from '../../src/model-io/index.js';
import {
  blockHasResidual,
  buildModel,
  decodeStages,
  getArchitecture,
  MOBILENETV4_CONV_SMALL,
  MOBILENETV4_CONV_SMALL_SPEC,
  roundChannels,
} from '../../src/models/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const build = (numClasses: number, inputSize: number, inputChannels: number, widthMultiplier?: number) =>
  buildModel(MOBILENETV4_CONV_SMALL, { numClasses, inputSize, inputChannels, widthMultiplier, seed: 7 });

function countLayers(model: LayersModel, className: string): number {
  return model.layers.filter((l) => l.getClassName() === className).length;
}

function expectedResiduals(widthMultiplier: number): number {
  let channels = MOBILENETV4_CONV_SMALL_SPEC.stem!.channels; // stem fixed for multiplier < 1, 32 at 1
  if (widthMultiplier >= 1) channels = roundChannels(channels, widthMultiplier);
  let count = 0;
  for (const block of decodeStages(MOBILENETV4_CONV_SMALL_SPEC.stages).flat()) {
    if (blockHasResidual(block, channels, widthMultiplier)) count++;
    if (block.type !== 'mp') channels = roundChannels(block.channels, widthMultiplier);
  }
  return count;
}

describe('mobilenetv4_conv_small', () => {
  it('has timm’s parameter count: 3.77M at 1000 classes / 224 / RGB (±2%)', () => {
    const model = build(1000, 224, 3);
    const { trainable, total } = modelParameterCount(model);
    expect(Math.abs(trainable - 3_774_024) / 3_774_024).toBeLessThan(0.02);
    expect(Math.abs(total - 3.77e6) / 3.77e6).toBeLessThan(0.02);
    expect(total).toBe(model.countParams());
    model.dispose();
  });

  it('has ≈2.5M parameters at 10 classes (±2%)', () => {
    const model = build(10, 224, 3);
    expect(Math.abs(modelParameterCount(model).trainable - 2.5e6) / 2.5e6).toBeLessThan(0.02);
    model.dispose();
  });

  it.each([
    [28, 1],
    [32, 3],
    [64, 1],
    [64, 3],
  ])('outputs [batch, classes] logits at %i px, %i channel(s)', (size, channels) => {
    const model = build(10, size, channels);
    const x = tf.randomUniform([2, size, size, channels], 0, 1, 'float32', 3);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    // Logits, not probabilities: rows are not normalised to 1.
    const rowSum = tf.sum(y, 1).dataSync()[0]!;
    expect(Math.abs(rowSum - 1)).toBeGreaterThan(1e-3);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('adds a residual exactly for stride-1 uir blocks with matching channels (10 of them)', () => {
    const model = build(10, 32, 3);
    expect(countLayers(model, 'Add')).toBe(expectedResiduals(1));
    expect(countLayers(model, 'Add')).toBe(10);
    expect(model.getLayer('blocks.2.1.add')).toBeDefined();
    expect(() => model.getLayer('blocks.2.0.add')).toThrow(); // stride 2, 64 → 96
    model.dispose();
  });

  it('names layers after timm module paths and exports the head layer names', () => {
    const model = build(10, 32, 3);
    const names = new Set(model.layers.map((l) => l.name));
    for (const n of ['conv_stem', 'bn1', 'blocks.0.0.conv', 'blocks.0.0.bn1', 'blocks.2.0.dw_start.conv']) {
      expect(names).toContain(n);
    }
    for (const n of [
      'blocks.2.5.dw_start.bn',
      'blocks.3.5.dw_mid.conv',
      'blocks.4.0.conv',
      'conv_head',
      'norm_head',
    ]) {
      expect(names).toContain(n);
    }
    expect(names).not.toContain('blocks.2.5.dw_mid.conv'); // ConvNeXt-like block: k0
    expect(getArchitecture(MOBILENETV4_CONV_SMALL).info.headLayers).toEqual(['classifier']);
    expect(model.getLayer('classifier').getWeights()[0]!.shape).toEqual([1280, 10]);
    model.dispose();
  });

  it('follows timm block internals: expansion rounding, stride placement, head without bias', () => {
    const model = build(10, 64, 3);
    const shape = (name: string) => model.getLayer(name).getWeights()[0]!.shape;
    expect(shape('blocks.2.0.dw_start.conv')).toEqual([5, 5, 64, 1]);
    expect(shape('blocks.2.0.pw_exp.conv')).toEqual([1, 1, 64, 192]); // make_divisible(64 × 3)
    expect(shape('blocks.3.3.pw_exp.conv')).toEqual([1, 1, 128, 384]); // e3
    // ExtraDW with stride 2: the stride is on dw_mid, dw_start keeps the resolution.
    expect(model.getLayer('blocks.2.0.dw_start.conv').outputShape).toEqual([null, 8, 8, 64]);
    expect(model.getLayer('blocks.2.0.dw_mid.conv').outputShape).toEqual([null, 4, 4, 192]);
    // conv_head is a 1×1 conv without bias (BN follows), as timm's head_norm=True.
    expect(
      model
        .getLayer('conv_head')
        .getWeights()
        .map((w) => w.shape),
    ).toEqual([[1, 1, 960, 1280]]);
    model.dispose();
  });

  it('scales channels with the width multiplier (stem fixed below 1, head fixed)', () => {
    const base = modelParameterCount(build(10, 32, 3)).trainable;
    const narrow = build(10, 32, 3, 0.5);
    const wide = build(10, 32, 3, 1.5);
    expect(modelParameterCount(narrow).trainable).toBeLessThan(base);
    expect(modelParameterCount(wide).trainable).toBeGreaterThan(base);
    expect(narrow.getLayer('conv_stem').getWeights()[0]!.shape).toEqual([3, 3, 3, 32]);
    expect(wide.getLayer('conv_stem').getWeights()[0]!.shape).toEqual([3, 3, 3, 48]);
    expect(narrow.getLayer('blocks.4.0.conv').getWeights()[0]!.shape).toEqual([1, 1, 64, 480]);
    expect(narrow.getLayer('conv_head').getWeights()[0]!.shape).toEqual([1, 1, 480, 1280]);
    expect(countLayers(narrow, 'Add')).toBe(expectedResiduals(0.5));
    narrow.dispose();
    wide.dispose();
  });
});
