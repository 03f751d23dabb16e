import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, FAST_CNN } from '../../src/models/index.js';
import { LayerFreezer, layerNameMatcher, selectFrozenLayers } from '../../src/train/freeze.js';
import { train } from '../../src/train/trainer.js';
import type { TrainerLogger } from '../../src/train/trainer-types.js';
import {
  fakeSaver,
  readFakeCheckpoint,
  syntheticSource,
  trainerConfig,
  useCpuBackend,
  weightValues,
} from './helpers.js';

const NUM_CLASSES = 3;
const dirs: string[] = [];

beforeAll(async () => {
  await useCpuBackend();
});

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-freeze-'));
  dirs.push(dir);
  return dir;
}

/**
 * A narrow fast_cnn on 8×8 grayscale (8/8/16 conv channels, cheap on the cpu backend): conv/BN
 * blocks `blocks.{0,1,2}.0`, `pre_logits.fc`, `classifier`.
 */
function fastCnn(seed = 1, dropout = 0.2): LayersModel {
  return buildModel(FAST_CNN, {
    numClasses: NUM_CLASSES,
    inputSize: 8,
    inputChannels: 1,
    widthMultiplier: 0.25,
    seed,
    dropout,
  });
}

function sources(seed = 7) {
  return {
    train: syntheticSource({ size: 96, numClasses: NUM_CLASSES, seed, shuffle: true }),
    validation: syntheticSource({ size: 48, numClasses: NUM_CLASSES, seed: seed + 1000, shuffle: false }),
  };
}

function recordingLogger(): TrainerLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`) };
}

/** Every weight of the named layers (kernels, BN gamma/beta and moving statistics), by weight name. */
async function layerWeights(model: LayersModel, names: readonly string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const name of names) {
    for (const w of model.getLayer(name).weights) out.set(w.originalName, Array.from(await w.read().data()));
  }
  return out;
}

const BLOCK0 = ['blocks.0.0.conv', 'blocks.0.0.bn1'];
const BACKBONE = [
  ...BLOCK0,
  'blocks.1.0.conv',
  'blocks.1.0.bn1',
  'blocks.2.0.conv',
  'blocks.2.0.bn1',
  'pre_logits.fc',
];

describe('layer-name patterns', () => {
  it('match with * wildcards and cover the layers below a module path', () => {
    const m = layerNameMatcher(['blocks.1', 'conv_stem', '*.bn1']);
    expect(m('blocks.1')).toBe(true);
    expect(m('blocks.1.0.pw_exp.conv')).toBe(true);
    expect(m('blocks.10.0.conv')).toBe(false);
    expect(m('conv_stem')).toBe(true);
    expect(m('conv_stem.pad')).toBe(true);
    expect(m('conv_stem2')).toBe(false);
    expect(m('blocks.2.0.bn1')).toBe(true);
    expect(m('bn1')).toBe(false);
    expect(m('classifier')).toBe(false);
    const star = layerNameMatcher(['blocks.0.*']);
    expect(star('blocks.0.0.conv')).toBe(true);
    expect(star('blocks.01.0.conv')).toBe(false);
    expect(layerNameMatcher(['*'])('anything.at.all')).toBe(true);
  });

  it('select the backbone (all but the head layers) or the matched layers with weights', () => {
    const model = fastCnn();
    const backbone = selectFrozenLayers(model, 'backbone', ['classifier']);
    expect(backbone.layers.map((l) => l.name)).toEqual(BACKBONE);
    expect(() => selectFrozenLayers(model, 'backbone', ['head.fc'])).toThrow(/head layers \(head\.fc\)/);
    const picked = selectFrozenLayers(model, ['blocks.0.*', 'conv_stem', 'flatten'], ['classifier']);
    expect(picked.layers.map((l) => l.name)).toEqual(BLOCK0);
    // conv_stem does not exist in fast_cnn; flatten has no weights.
    expect(picked.unmatched).toEqual(['conv_stem', 'flatten']);
    model.dispose();
  });
});

describe('LayerFreezer', () => {
  it('runs frozen BatchNorm layers in inference mode during training steps, and restores them', async () => {
    const model = fastCnn(1, 0);
    // Non-trivial moving statistics, so batch and moving statistics differ.
    const x = tf.randomUniform([8, 8, 8, 1], 0, 1, 'float32', 2);
    tf.tidy(() => {
      model.apply(x, { training: true });
    });
    const batchNorms = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
    const freezer = new LayerFreezer(batchNorms);
    freezer.freeze();
    freezer.freeze(); // idempotent
    const stats = await layerWeights(
      model,
      batchNorms.map((l) => l.name),
    );
    const inference = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
    const frozenTraining = tf.tidy(() =>
      Array.from((model.apply(x, { training: true }) as tf.Tensor).dataSync()),
    );
    // With no dropout, only BatchNorm behaves differently in training: frozen, it does not.
    expect(frozenTraining).toEqual(inference);
    expect(
      await layerWeights(
        model,
        batchNorms.map((l) => l.name),
      ),
    ).toEqual(stats);
    freezer.unfreeze();
    expect(batchNorms.every((l) => !Object.hasOwn(l, 'call'))).toBe(true);
    const training = tf.tidy(() => Array.from((model.apply(x, { training: true }) as tf.Tensor).dataSync()));
    expect(training).not.toEqual(inference);
    expect(
      await layerWeights(
        model,
        batchNorms.map((l) => l.name),
      ),
    ).not.toEqual(stats);
    x.dispose();
    model.dispose();
  });
});

describe('train with freeze', () => {
  it('keeps frozen weights and BatchNorm statistics bit-identical (decay, EMA) while the head trains', async () => {
    const model = fastCnn();
    const before = await layerWeights(model, [...BACKBONE, 'classifier']);
    const logger = recordingLogger();
    const dir = await tempDir();
    const result = await train({
      model,
      ...sources(),
      config: trainerConfig({ epochs: 2, weightDecay: 0.05, freeze: 'backbone' }),
      checkpointDir: dir,
      saveModel: fakeSaver().save,
      emaSelection: 'ema',
      logger,
    });
    expect(result.epochs).toBe(2);
    const after = await layerWeights(model, [...BACKBONE, 'classifier']);
    for (const [name, values] of before) {
      if (name.startsWith('classifier')) expect(after.get(name), name).not.toEqual(values);
      else expect(after.get(name), name).toEqual(values);
    }
    // The checkpoint holds the EMA weights: the frozen ones are still exactly the initial values.
    const saved = await readFakeCheckpoint(join(dir, 'last'));
    expect(saved.metadata.weights).toBe('ema');
    model.weights.forEach((w, i) => {
      if (!w.originalName.startsWith('classifier')) {
        expect(Float32Array.from(saved.weights[i]!), w.originalName).toEqual(
          Float32Array.from(before.get(w.originalName)!),
        );
      }
    });
    expect(logger.lines).toContainEqual(
      expect.stringMatching(
        /^info: Freezing 7 of 8 layers with weights \([\d,]+ of [\d,]+ parameters; 3 BatchNorm/,
      ),
    );
    // The model is left as it was given: no BatchNorm stays in forced inference mode.
    expect(model.layers.every((l) => !Object.hasOwn(l, 'call'))).toBe(true);
    model.dispose();
  });

  it('trains everything after unfreezeAfterEpochs', async () => {
    const model = fastCnn();
    const initial = await layerWeights(model, BLOCK0);
    const perEpoch: Map<string, number[]>[] = [];
    const logger = recordingLogger();
    await train({
      model,
      ...sources(),
      config: trainerConfig({ epochs: 3, freeze: ['blocks.0.*'], unfreezeAfterEpochs: 1 }),
      onEpochEnd: async () => {
        perEpoch.push(await layerWeights(model, BLOCK0));
      },
      logger,
    });
    expect(perEpoch[0]).toEqual(initial);
    for (const [name, values] of initial) {
      // Kernel, gamma, beta and the moving statistics all move once unfrozen.
      expect(perEpoch[1]!.get(name), name).not.toEqual(values);
    }
    expect(logger.lines).toContainEqual(expect.stringMatching(/Freezing 2 of 8 layers .* for epochs 1-1/));
    expect(logger.lines).toContainEqual('info: Epoch 2: past unfreezeAfterEpochs 1, every layer trains');
    model.dispose();
  });

  it('resumes across the unfreeze to the same weights as an uninterrupted run', async () => {
    const config = trainerConfig({ epochs: 3, freeze: 'backbone', unfreezeAfterEpochs: 1 });
    const straightModel = fastCnn();
    await train({
      model: straightModel,
      ...sources(),
      config,
      checkpointDir: await tempDir(),
      saveModel: fakeSaver().save,
    });

    // Killed in epoch 2 (the first unfrozen one): the state is that of the frozen epoch 1.
    const dir = await tempDir();
    const firstModel = fastCnn();
    const controller = new AbortController();
    let batches = 0;
    const first = await train({
      model: firstModel,
      ...sources(),
      config,
      checkpointDir: dir,
      saveModel: fakeSaver().save,
      signal: controller.signal,
      progress: () => ({
        tick: () => {
          batches += 1;
          if (batches === 6 + 2) controller.abort();
        },
        done: () => undefined,
      }),
    });
    expect(first).toMatchObject({ aborted: true, epochs: 1 });
    firstModel.dispose();

    const resumedModel = fastCnn(999);
    const logger = recordingLogger();
    const resumed = await train({
      model: resumedModel,
      ...sources(),
      config,
      checkpointDir: dir,
      saveModel: fakeSaver().save,
      resume: true,
      logger,
    });
    expect(resumed.epochs).toBe(3);
    expect(logger.lines).toContainEqual('info: Epoch 2: past unfreezeAfterEpochs 1, every layer trains');
    const expected = await weightValues(straightModel);
    const actual = await weightValues(resumedModel);
    actual.forEach((values, i) => {
      const reference = expected[i]!;
      const maxDiff = values.reduce((m, v, k) => Math.max(m, Math.abs(v - reference[k]!)), 0);
      expect(maxDiff, resumedModel.weights[i]!.originalName).toBeLessThan(1e-5);
    });
    straightModel.dispose();
    resumedModel.dispose();
  });

  it('warns about patterns that match nothing and refuses to freeze everything', async () => {
    const model = fastCnn();
    const logger = recordingLogger();
    await train({
      model,
      ...sources(),
      config: trainerConfig({ epochs: 1, freeze: ['blocks.9.*'], ema: { enabled: false, decay: 0.9 } }),
      logger,
    });
    expect(logger.lines).toContain("warn: train.freeze: 'blocks.9.*' matches no layer with weights");
    await expect(
      train({ model, ...sources(), config: trainerConfig({ epochs: 1, freeze: ['*'] }) }),
    ).rejects.toThrow(/nothing would train/);
    model.dispose();
  });
});
