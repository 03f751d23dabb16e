import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelParameterCount } from '../../src/model-io/index.js';
import { loadModel, saveModel } from '../../src/model-io/save-load.js';
import {
  blockHasResidual,
  buildModel,
  decodeStages,
  LayerScale,
  MOBILENETV4_HYBRID_MEDIUM,
  MOBILENETV4_HYBRID_MEDIUM_SPEC,
  MultiQueryAttention,
  roundChannels,
} from '../../src/models/index.js';

const dirs: string[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface BuildOptions {
  numClasses?: number;
  inputSize?: number;
  inputChannels?: number;
  widthMultiplier?: number;
  dropPath?: number;
}

const build = (o: BuildOptions = {}): LayersModel =>
  buildModel(MOBILENETV4_HYBRID_MEDIUM, {
    numClasses: o.numClasses ?? 10,
    inputSize: o.inputSize ?? 64,
    inputChannels: o.inputChannels ?? 3,
    ...(o.widthMultiplier === undefined ? {} : { widthMultiplier: o.widthMultiplier }),
    ...(o.dropPath === undefined ? {} : { dropPath: o.dropPath }),
    seed: 7,
  });

const countLayers = (model: LayersModel, className: string) =>
  model.layers.filter((l) => l.getClassName() === className).length;

const blocks = decodeStages(MOBILENETV4_HYBRID_MEDIUM_SPEC.stages);

/** Output channels of every stage's last block, as timm rounds them. */
function stageChannels(widthMultiplier: number): number[] {
  return blocks.map((stage) => {
    const last = stage.at(-1)!;
    return last.type === 'mp' ? 0 : roundChannels(last.channels, widthMultiplier);
  });
}

function expectedResiduals(widthMultiplier: number): number {
  let channels = 32; // stem: 32, fixed below 1
  let count = 0;
  for (const block of blocks.flat()) {
    if (blockHasResidual(block, channels, widthMultiplier)) count++;
    if (block.type !== 'mp') channels = roundChannels(block.channels, widthMultiplier);
  }
  return count;
}

describe('mobilenetv4_hybrid_medium', () => {
  it('has timm’s parameter count: 11,074,648 at 1000 classes (timm: 11.1M)', () => {
    const model = build({ numClasses: 1000, inputSize: 32 });
    const { trainable, nonTrainable, total } = modelParameterCount(model);
    expect(trainable).toBe(11_074_648);
    // BN running statistics: what timm's state dict holds besides the parameters.
    expect(nonTrainable).toBe(75_840);
    expect(total).toBe(model.countParams());
    model.dispose();
  });

  it('has timm’s block list: 1 er, 30 uir/mqa (8 mqa) with layer scale, 1 cn; 32 blocks', () => {
    expect(blocks.map((stage) => stage.length)).toEqual([1, 2, 12, 16, 1]);
    const types = blocks.flat().map((b) => b.type);
    expect(types.filter((t) => t === 'er')).toHaveLength(1);
    expect(types.filter((t) => t === 'uir')).toHaveLength(22);
    expect(types.filter((t) => t === 'mqa')).toHaveLength(8);
    expect(stageChannels(1)).toEqual([48, 80, 160, 256, 960]);
    expect(stageChannels(0.125)).toEqual([8, 16, 24, 32, 120]);
    const model = build({ inputSize: 32 });
    expect(countLayers(model, 'LayerScale')).toBe(30);
    expect(countLayers(model, 'MultiQueryAttention')).toBe(8);
    expect(countLayers(model, 'Add')).toBe(expectedResiduals(1));
    expect(countLayers(model, 'Add')).toBe(27); // every stride-1 block but the cn: 1 + 11 + 15
    model.dispose();
  });

  it('names layers after timm’s state-dict keys', () => {
    const model = build({ inputSize: 32 });
    const names = new Set(model.layers.map((l) => l.name));
    for (const n of [
      'blocks.0.0.conv_exp',
      'blocks.0.0.bn1',
      'blocks.0.0.conv_pwl',
      'blocks.0.0.bn2',
      'blocks.1.0.layer_scale',
      'blocks.2.4.norm',
      'blocks.2.4.attn.query.proj',
      'blocks.2.4.attn.key.down_conv',
      'blocks.2.4.attn.key.norm',
      'blocks.2.4.attn.key.proj',
      'blocks.2.4.attn.value.down_conv',
      'blocks.2.4.attn.value.norm',
      'blocks.2.4.attn.value.proj',
      'blocks.2.4.attn.output.proj',
      'blocks.2.4.layer_scale',
      'blocks.3.8.attn.query.proj',
      'blocks.4.0.conv',
      'conv_head',
      'norm_head',
      'classifier',
    ]) {
      expect(names).toContain(n);
    }
    expect(names).not.toContain('blocks.3.8.attn.key.down_conv'); // stage 3 MQA: no kv stride
    expect(names).not.toContain('blocks.0.0.layer_scale'); // EdgeResidual has none
    expect(names).not.toContain('blocks.0.0.add'); // stride 2
    model.dispose();
  });

  it('follows timm’s block internals: FusedIB expansion, MQA heads and key/value down-sampling', () => {
    const model = build({ inputSize: 256, numClasses: 5 });
    const weight = (name: string) => model.getLayer(name).getWeights()[0]!.shape;
    const out = (name: string) => model.getLayer(name).outputShape;
    expect(weight('blocks.0.0.conv_exp')).toEqual([3, 3, 32, 128]); // make_divisible(32 × 4), stride 2
    expect(out('blocks.0.0.conv_exp')).toEqual([null, 64, 64, 128]);
    expect(weight('blocks.0.0.conv_pwl')).toEqual([1, 1, 128, 48]);
    // stage 2 (16×16 at 256 px): 4 heads × 64 queries, keys/values 2× down-sampled to 8×8
    expect(weight('blocks.2.4.attn.query.proj')).toEqual([1, 1, 160, 256]);
    expect(weight('blocks.2.4.attn.key.down_conv')).toEqual([3, 3, 160, 1]);
    expect(out('blocks.2.4.attn.key.proj')).toEqual([null, 8, 8, 64]);
    expect(out('blocks.2.4.attn.value.proj')).toEqual([null, 8, 8, 64]);
    expect(out('blocks.2.4.attn')).toEqual([null, 16, 16, 256]);
    expect(weight('blocks.2.4.attn.output.proj')).toEqual([1, 1, 256, 160]);
    expect(out('blocks.3.8.attn.key.proj')).toEqual([null, 8, 8, 64]);
    expect(weight('blocks.3.8.layer_scale')).toEqual([256]);
    // Every projection is bias-free, as timm's (use_bias=False).
    for (const part of ['query', 'key', 'value', 'output']) {
      expect(model.getLayer(`blocks.2.4.attn.${part}.proj`).getWeights()).toHaveLength(1);
    }
    // Layer scale starts at timm's layer_scale_init_value.
    const gamma = model.getLayer('blocks.2.4.layer_scale').getWeights()[0]!.dataSync();
    expect(Array.from(gamma).every((g) => Math.abs(g - 1e-5) < 1e-12)).toBe(true);
    expect(out('blocks.4.0.conv')).toEqual([null, 8, 8, 960]);
    model.dispose();
  });

  it.each([
    [28, 1],
    [32, 3],
    [64, 3],
  ])('outputs finite [batch, classes] logits at %i px, %i channel(s)', (size, channels) => {
    const model = build({ inputSize: size, inputChannels: channels, widthMultiplier: 0.25 });
    const x = tf.randomUniform([2, size, size, channels], 0, 1, 'float32', 3);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('puts a DropPath before the add of every residual er/uir/mqa block (after the layer scale)', () => {
    const model = build({ inputSize: 32, widthMultiplier: 0.125, dropPath: 0.1 });
    expect(countLayers(model, 'DropPath')).toBe(countLayers(model, 'Add'));
    expect(countLayers(model, 'Add')).toBe(expectedResiduals(0.125));
    const inbound = (name: string) =>
      (model.getLayer(name).inboundNodes[0]?.inboundLayers ?? []).map((l) => l.name);
    expect(inbound('blocks.2.4.drop_path')).toEqual(['blocks.2.4.layer_scale']);
    expect(inbound('blocks.2.4.add')).toEqual(['blocks.2.4.drop_path', 'blocks.2.3.add']);
    model.dispose();
  });

  it('saves and loads back (LayerScale and MultiQueryAttention are registered)', async () => {
    const model = build({ inputSize: 32, widthMultiplier: 0.125, numClasses: 3 });
    for (const layer of model.layers.filter((l) => l instanceof LayerScale)) {
      layer.setWeights([tf.randomUniform(layer.getWeights()[0]!.shape, 0.1, 0.5, 'float32', 5)]);
    }
    const dir = await mkdtemp(join(tmpdir(), 'mlops-hybrid-'));
    dirs.push(dir);
    await saveModel(model, join(dir, 'model'));
    const loaded = await loadModel(join(dir, 'model'));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    expect(loaded.getLayer('blocks.2.4.attn')).toBeInstanceOf(MultiQueryAttention);
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 9);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    tf.dispose(x);
    model.dispose();
    loaded.dispose();
  });
});

describe('MultiQueryAttention', () => {
  it('is softmax(q kᵀ / √d) v with one key/value shared by every head', () => {
    const [heads, d, dv] = [2, 3, 2];
    const q = tf.randomNormal([1, 2, 1, heads * d], 0, 1, 'float32', 1);
    const k = tf.randomNormal([1, 1, 3, d], 0, 1, 'float32', 2);
    const v = tf.randomNormal([1, 1, 3, dv], 0, 1, 'float32', 3);
    const layer = new MultiQueryAttention({ numHeads: heads, keyDim: d, valueDim: dv });
    const out = (layer.apply([q, k, v]) as tf.Tensor).arraySync() as number[][][][];
    const Q = q.arraySync() as number[][][][];
    const K = (k.arraySync() as number[][][][])[0]![0]!;
    const V = (v.arraySync() as number[][][][])[0]![0]!;
    for (let pixel = 0; pixel < 2; pixel++) {
      for (let h = 0; h < heads; h++) {
        const query = Q[0]![pixel]![0]!.slice(h * d, (h + 1) * d);
        const logits = K.map((key) => key.reduce((acc, kv, i) => acc + kv * query[i]!, 0) / Math.sqrt(d));
        const max = Math.max(...logits);
        const weights = logits.map((l) => Math.exp(l - max));
        const total = weights.reduce((a, b) => a + b, 0);
        for (let j = 0; j < dv; j++) {
          const want = V.reduce((acc, value, p) => acc + (weights[p]! / total) * value[j]!, 0);
          expect(out[0]![pixel]![0]![h * dv + j]).toBeCloseTo(want, 5);
        }
      }
    }
    tf.dispose([q, k, v]);
  });

  it('rejects inputs whose channels do not fit its heads and dimensions', () => {
    const layer = new MultiQueryAttention({ numHeads: 4, keyDim: 8, valueDim: 8 });
    expect(() =>
      layer.computeOutputShape([
        [null, 4, 4, 30],
        [null, 2, 2, 8],
        [null, 2, 2, 8],
      ]),
    ).toThrow(/do not fit numHeads 4/);
    expect(() => new MultiQueryAttention({ numHeads: 0, keyDim: 8, valueDim: 8 })).toThrow(/numHeads/);
  });
});
