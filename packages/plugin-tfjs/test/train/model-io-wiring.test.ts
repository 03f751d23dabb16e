import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/model-io/index.js';
import { train } from '../../src/train/trainer.js';
import { syntheticSource, tinyConvModel, trainerConfig, useCpuBackend, weightValues } from './helpers.js';

beforeAll(async () => {
  await useCpuBackend();
});

describe('train with model-io', () => {
  it("checkpoints through model-io's saveModel and loads back as the reported weights", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-train-io-'));
    try {
      const model = tinyConvModel({ numClasses: 3, seed: 1 });
      const result = await train({
        model,
        train: syntheticSource({ size: 48, numClasses: 3, seed: 7, shuffle: true }),
        validation: syntheticSource({ size: 24, numClasses: 3, seed: 8, shuffle: false }),
        config: trainerConfig({ epochs: 2, checkpointHistory: 1 }),
        checkpointDir: dir,
        saveModel,
        emaSelection: 'raw',
      });
      const last = await loadModel(join(dir, 'last'));
      expect(last.getUserDefinedMetadata()).toMatchObject({ epoch: 2, weights: 'raw' });
      expect(result.history.every((r) => r.weights === 'raw')).toBe(true);
      const [saved, live] = await Promise.all([weightValues(last), weightValues(model)]);
      expect(saved).toEqual(live);
      const probe = tf.zeros([1, 8, 8, 1]);
      expect((last.predict(probe) as tf.Tensor).shape).toEqual([1, 3]);
      tf.dispose(probe);
      last.dispose();
      model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
