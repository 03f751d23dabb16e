import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/model-io/save-load.js';
import { DropPath, dropPathRate } from '../../src/models/drop-path.js';
import { buildModel, MOBILENETV4_CONV_SMALL } from '../../src/models/index.js';
import { mixSeed, withSeededMathRandom } from '../../src/train/seeded-random.js';

const dirs: string[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Applies `layer` to `x` in training mode under the trainer's per-step `Math.random` stream. */
function trainingCall(layer: DropPath, x: tf.Tensor, step: number, seed = 42): Float32Array {
  return withSeededMathRandom(mixSeed(seed, step), () =>
    tf.tidy(() => (layer.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array),
  );
}

function dropPathLayers(model: LayersModel): DropPath[] {
  return model.layers.filter((l): l is DropPath => l instanceof DropPath);
}

describe('DropPath', () => {
  it('is the identity at inference', () => {
    const layer = new DropPath({ rate: 0.5 });
    const x = tf.randomNormal([4, 3, 3, 2], 0, 1, 'float32', 1);
    for (const kwargs of [{}, { training: false }]) {
      const y = layer.apply(x, kwargs) as tf.Tensor;
      expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
      y.dispose();
    }
    x.dispose();
  });

  it('drops whole samples with probability rate and scales the kept ones by 1/(1-rate)', () => {
    const rate = 0.3;
    const layer = new DropPath({ rate });
    const samples = 4000;
    const x = tf.ones([samples, 2, 2, 3]);
    const y = trainingCall(layer, x, 0);
    let dropped = 0;
    for (let s = 0; s < samples; s++) {
      const values = y.subarray(s * 12, (s + 1) * 12);
      const first = values[0]!;
      // Per sample, not per element: all 12 values share one keep decision.
      expect(values.every((v) => v === first)).toBe(true);
      if (first === 0) dropped += 1;
      else expect(first).toBeCloseTo(1 / (1 - rate), 5);
    }
    // Binomial(4000, 0.3): standard deviation ≈ 0.0072 of the fraction.
    expect(dropped / samples).toBeGreaterThan(0.27);
    expect(dropped / samples).toBeLessThan(0.33);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    expect(mean).toBeGreaterThan(0.95);
    expect(mean).toBeLessThan(1.05);
    x.dispose();
  });

  it('draws a fresh mask per training call, the same one for the same step seed', () => {
    const layer = new DropPath({ rate: 0.5 });
    const x = tf.ones([64, 1, 1, 1]);
    const step0 = trainingCall(layer, x, 0);
    const step1 = trainingCall(layer, x, 1);
    expect(Array.from(step1)).not.toEqual(Array.from(step0));
    expect(Array.from(trainingCall(layer, x, 0))).toEqual(Array.from(step0));
    expect(Array.from(trainingCall(new DropPath({ rate: 0.5 }), x, 0))).toEqual(Array.from(step0));
    x.dispose();
  });

  it('lets gradients through the kept samples, scaled like the forward', () => {
    const rate = 0.5;
    const layer = new DropPath({ rate });
    const x = tf.ones([32, 2]);
    const grad = withSeededMathRandom(mixSeed(7, 3), () =>
      tf.tidy(() =>
        tf
          .grad((input: tf.Tensor) => tf.sum(layer.apply(input, { training: true }) as tf.Tensor))(x)
          .dataSync(),
      ),
    );
    const forward = withSeededMathRandom(mixSeed(7, 3), () =>
      tf.tidy(() => (layer.apply(x, { training: true }) as tf.Tensor).dataSync()),
    );
    // d(sum(x·m/keep))/dx = m/keep: equal to the forward output for an all-ones input.
    expect(Array.from(grad)).toEqual(Array.from(forward));
    expect(grad.some((v) => v === 0)).toBe(true);
    expect(grad.some((v) => v === 2)).toBe(true);
    x.dispose();
  });

  it('rejects rates outside [0, 1)', () => {
    expect(() => new DropPath({ rate: 1 })).toThrow(/\[0, 1\)/);
    expect(() => new DropPath({ rate: -0.1 })).toThrow(/\[0, 1\)/);
  });
});

describe('stochastic depth in the zoo', () => {
  const opts = { numClasses: 4, inputSize: 32, inputChannels: 3, seed: 3 };

  it('rises linearly over the blocks as timm does (drop_path_rate · idx / total)', () => {
    expect(dropPathRate(0.2, 0, 10)).toBe(0);
    expect(dropPathRate(0.2, 5, 10)).toBeCloseTo(0.1, 12);
    expect(dropPathRate(0.2, 9, 10)).toBeCloseTo(0.18, 12);
  });

  it('puts a DropPath before the add of every residual block of MobileNetV4, none without dropPath', () => {
    const plain = buildModel(MOBILENETV4_CONV_SMALL, opts);
    expect(dropPathLayers(plain)).toHaveLength(0);
    const model = buildModel(MOBILENETV4_CONV_SMALL, { ...opts, dropPath: 0.2 });
    // 17 blocks (timm's count over the 5 stages); the residual ones are blocks 2.1–2.5 and 3.1–3.5.
    const expected = [
      ...[1, 2, 3, 4, 5].map((b) => ({ name: `blocks.2.${b}`, index: 4 + b })),
      ...[1, 2, 3, 4, 5].map((b) => ({ name: `blocks.3.${b}`, index: 10 + b })),
    ];
    const layers = dropPathLayers(model);
    expect(layers.map((l) => l.name)).toEqual(expected.map((e) => `${e.name}.drop_path`));
    layers.forEach((layer, i) => {
      expect(layer.rate).toBeCloseTo((0.2 * expected[i]!.index) / 17, 12);
      // Feeds the block's add, on the residual branch.
      const consumers = model.layers.filter((l) =>
        l.inboundNodes.some((n) => n.inboundLayers.includes(layer)),
      );
      expect(consumers.map((l) => l.name)).toEqual([`${expected[i]!.name}.add`]);
    });
    // No weights: the same weights as without drop path, and the same predictions at inference.
    expect(model.countParams()).toBe(plain.countParams());
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5);
    const a = plain.predict(x) as tf.Tensor;
    const b = model.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    plain.dispose();
    model.dispose();
  });

  it('is validated like the other build options', () => {
    expect(() => buildModel(MOBILENETV4_CONV_SMALL, { ...opts, dropPath: 1 })).toThrow(/dropPath/);
  });

  it('survives a save/load roundtrip through model-io', async () => {
    const model = buildModel(MOBILENETV4_CONV_SMALL, { ...opts, dropPath: 0.1 });
    const dir = await mkdtemp(join(tmpdir(), 'mlops-drop-path-'));
    dirs.push(dir);
    await saveModel(model, join(dir, 'model'));
    const json = JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8')) as unknown;
    expect(JSON.stringify(json)).toContain('"class_name":"DropPath"');
    const loaded = await loadModel(join(dir, 'model'));
    const before = dropPathLayers(model);
    const after = dropPathLayers(loaded);
    expect(after.map((l) => [l.name, l.rate])).toEqual(before.map((l) => [l.name, l.rate]));
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 9);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    // Training mode still drops after loading: some samples of a residual branch are zeroed.
    const layer = after.at(-1)!;
    const ones = tf.ones([256, 1, 1, 1]);
    expect(trainingCall(layer, ones, 0).some((v) => v === 0)).toBe(true);
    tf.dispose([x, a, b, ones]);
    model.dispose();
    loaded.dispose();
  });
});
