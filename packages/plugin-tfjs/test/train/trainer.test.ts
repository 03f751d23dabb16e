import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../src/train/trainer.js';
import { TRAINER_STATE_FILE, type TrainerState } from '../../src/train/trainer-state.js';
import type { EpochEndEvent } from '../../src/train/trainer-types.js';
import {
  fakeSaver,
  readFakeCheckpoint,
  syntheticSource,
  tinyConvModel,
  trainerConfig,
  useCpuBackend,
  weightValues,
} from './helpers.js';

const NUM_CLASSES = 3;
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-train-'));
  dirs.push(dir);
  return dir;
}

function sources(seed = 7) {
  return {
    train: syntheticSource({ size: 96, numClasses: NUM_CLASSES, seed, shuffle: true }),
    validation: syntheticSource({ size: 48, numClasses: NUM_CLASSES, seed: seed + 1000, shuffle: false }),
  };
}

beforeAll(async () => {
  await useCpuBackend();
});

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('train', () => {
  it('learns a separable synthetic task, keeping the tensor count flat across epochs', async () => {
    const model = tinyConvModel({ numClasses: NUM_CLASSES, seed: 1 });
    const before = tf.memory().numTensors;
    const tensorsAtEpochEnd: number[] = [];
    const events: EpochEndEvent[] = [];
    const ticks: string[] = [];
    const bars: { total: number; images: number }[] = [];
    const { train: trainSource, validation } = sources();
    const result = await train({
      model,
      train: trainSource,
      validation,
      config: trainerConfig({ epochs: 5 }),
      progress: (total) => {
        const bar = { total, images: 0 };
        bars.push(bar);
        return {
          tick: (n = 1, info) => {
            bar.images += n;
            ticks.push(info ?? '');
          },
          done: () => undefined,
        };
      },
      onEpochEnd: async (event) => {
        tensorsAtEpochEnd.push(tf.memory().numTensors);
        events.push(event);
      },
    });
    expect(result.epochs).toBe(5);
    expect(result.history).toHaveLength(5);
    expect(result.bestMetrics['val/top1']).toBeGreaterThanOrEqual(0.9);
    expect(result.history.at(-1)!.metrics['train/top1']).toBeGreaterThan(0.8);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
    expect(events.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
    for (const key of [
      'train/loss',
      'val/loss',
      'val/top1',
      'val/top5',
      'val_raw/top1',
      'val_ema/top1',
      'lr',
    ]) {
      expect(events[0]!.metrics).toHaveProperty(key);
    }
    expect(ticks).toHaveLength(5 * 6);
    expect(ticks[0]).toMatch(/^loss \d\.\d{4} lr /);
    // The bars count images (the core Progress shows their rate as img/s), not batches.
    expect(bars).toEqual(
      Array.from({ length: 5 }, () => ({ total: trainSource.size, images: trainSource.size })),
    );
    // Everything the trainer creates per step/epoch is freed: the count is the same every epoch…
    expect(new Set(tensorsAtEpochEnd).size).toBe(1);
    // …and after training only the model's own tensors remain.
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('writes last/ every epoch, best/ on improvement, the best N epoch-K/ and then the state', async () => {
    const dir = await tempDir();
    // Leftovers of an earlier run in the same directory: a fresh run removes them first.
    await writeFile(join(dir, TRAINER_STATE_FILE), JSON.stringify({ version: 1, epoch: 9 }));
    await writeFile(join(dir, 'trainer-state-epoch-9.bin'), 'stale');
    const model = tinyConvModel({ numClasses: NUM_CLASSES, seed: 1 });
    const saver = fakeSaver();
    const stateEpochWhenSaving: number[] = [];
    const { train: trainSource, validation } = sources();
    const result = await train({
      model,
      train: trainSource,
      validation,
      config: trainerConfig({ epochs: 4, checkpointHistory: 2 }),
      checkpointDir: dir,
      saveModel: async (m, target, metadata) => {
        // The state of the epoch being checkpointed must not exist yet: it is written after.
        const state = await readFile(join(dir, TRAINER_STATE_FILE), 'utf8').then(
          (text) => (JSON.parse(text) as TrainerState).epoch,
          () => 0,
        );
        stateEpochWhenSaving.push(state - Number(metadata?.epoch));
        return saver.save(m, target, metadata);
      },
    });
    expect(stateEpochWhenSaving.every((d) => d === -1)).toBe(true);
    const entries = (await readdir(dir)).sort();
    expect(entries).toEqual([
      'best',
      'epoch-3',
      'epoch-4',
      'last',
      'trainer-state-epoch-4.bin',
      TRAINER_STATE_FILE,
    ]);
    const state = JSON.parse(await readFile(join(dir, TRAINER_STATE_FILE), 'utf8')) as TrainerState;
    expect(state.epoch).toBe(4);
    expect(state.epochCheckpoints).toEqual([3, 4]);
    expect(state.history).toHaveLength(4);
    const best = await readFakeCheckpoint(join(dir, 'best'));
    expect(best.metadata.epoch).toBe(result.bestEpoch);
    expect(best.metadata['val/top1']).toBe(result.bestMetrics['val/top1']);
    const last = await readFakeCheckpoint(join(dir, 'last'));
    expect(last.metadata.epoch).toBe(4);
    // best/ was written exactly for the improving epochs.
    const bestSaves = saver.calls.filter((c) => c.dir.endsWith('best')).map((c) => c.metadata?.epoch);
    expect(bestSaves).toEqual(result.history.filter((r) => r.best).map((r) => r.epoch));
    model.dispose();
  });

  it('resumes after a kill mid-epoch to the same result as an uninterrupted run', async () => {
    const config = trainerConfig({ epochs: 4 });

    const straightDir = await tempDir();
    const straightModel = tinyConvModel({ numClasses: NUM_CLASSES, seed: 1 });
    const straight = await train({
      model: straightModel,
      ...sources(),
      config,
      checkpointDir: straightDir,
      saveModel: fakeSaver().save,
    });

    // First half: interrupted in the middle of epoch 3 (after its 3rd batch).
    const dir = await tempDir();
    const firstModel = tinyConvModel({ numClasses: NUM_CLASSES, seed: 1 });
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
          if (batches === 6 * 2 + 3) controller.abort();
        },
        done: () => undefined,
      }),
    });
    expect(first.aborted).toBe(true);
    expect(first.epochs).toBe(2);
    const interruptedLast = await readFakeCheckpoint(join(dir, 'last'));
    expect(interruptedLast.metadata.abortedInEpoch).toBe(3);
    firstModel.dispose();

    // Second half: a fresh process would build the model again (here with other initial weights,
    // to show they are all restored) and resume.
    const resumedModel = tinyConvModel({ numClasses: NUM_CLASSES, seed: 999 });
    const resumed = await train({
      model: resumedModel,
      ...sources(),
      config,
      checkpointDir: dir,
      saveModel: fakeSaver().save,
      resume: true,
    });
    expect(resumed.epochs).toBe(4);
    expect(resumed.history.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(resumed.bestEpoch).toBe(straight.bestEpoch);
    resumed.history.forEach((record, i) => {
      for (const [key, value] of Object.entries(record.metrics)) {
        expect(value, `epoch ${record.epoch} ${key}`).toBeCloseTo(straight.history[i]!.metrics[key]!, 5);
      }
    });
    const expected = await weightValues(straightModel);
    const actual = await weightValues(resumedModel);
    actual.forEach((values, i) => {
      const reference = expected[i]!;
      const maxDiff = values.reduce((m, v, k) => Math.max(m, Math.abs(v - reference[k]!)), 0);
      expect(maxDiff).toBeLessThan(1e-5);
    });
    straightModel.dispose();
    resumedModel.dispose();
  });

  it('stops early when the metric stops improving', async () => {
    // Learning rate 0, no BatchNorm, no dropout, no EMA: the validation loss is exactly constant.
    const model = tinyConvModel({ numClasses: NUM_CLASSES, seed: 1, batchNorm: false, dropout: 0 });
    const dir = await tempDir();
    const options = {
      model,
      ...sources(),
      config: trainerConfig({
        epochs: 10,
        lr: 0,
        warmupLr: 0,
        minLr: 0,
        ema: { enabled: false, decay: 0.99 },
        earlyStopping: { patience: 2, metric: 'loss', mode: 'min' as const },
      }),
      checkpointDir: dir,
      saveModel: fakeSaver().save,
    };
    const result = await train(options);
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs).toBe(3);
    expect(result.bestEpoch).toBe(1);
    // Resuming a run that stopped early trains no further.
    const resumed = await train({ ...options, resume: true });
    expect(resumed).toMatchObject({ stoppedEarly: true, epochs: 3, bestEpoch: 1 });
    expect(resumed.history).toHaveLength(3);
    model.dispose();
  });

  it('stops at the end of the current batch on abort and writes last/', async () => {
    const dir = await tempDir();
    const model = tinyConvModel({ numClasses: NUM_CLASSES, seed: 1 });
    const controller = new AbortController();
    let ticks = 0;
    const saver = fakeSaver();
    const result = await train({
      model,
      ...sources(),
      config: trainerConfig({ epochs: 3 }),
      checkpointDir: dir,
      saveModel: saver.save,
      signal: controller.signal,
      progress: () => ({
        tick: () => {
          ticks += 1;
          if (ticks === 2) controller.abort();
        },
        done: () => undefined,
      }),
    });
    expect(result.aborted).toBe(true);
    expect(result.epochs).toBe(0);
    // The bar runs one step behind (metrics are read one step late): the tick of step 2 comes
    // once step 3 is under way, so the current batch is the third, and its tick still comes.
    expect(ticks).toBe(3);
    expect(saver.calls.map((c) => c.dir)).toEqual([join(dir, 'last')]);
    const last = await readFakeCheckpoint(join(dir, 'last'));
    expect(last.metadata).toMatchObject({ epoch: 0, abortedInEpoch: 1, step: 3, weights: 'raw' });
    // No epoch finished, so there is nothing to resume from.
    expect(await readdir(dir)).not.toContain(TRAINER_STATE_FILE);
    model.dispose();
  });

  it('reports and saves the EMA weights when asked to', async () => {
    const dir = await tempDir();
    const model = tinyConvModel({ numClasses: NUM_CLASSES, seed: 1 });
    const result = await train({
      model,
      ...sources(),
      config: trainerConfig({ epochs: 2, checkpointHistory: 0 }),
      checkpointDir: dir,
      saveModel: fakeSaver().save,
      emaSelection: 'ema',
    });
    for (const record of result.history) {
      expect(record.weights).toBe('ema');
      expect(record.metrics['val/top1']).toBe(record.metrics['val_ema/top1']);
      expect(record.metrics['val/loss']).toBe(record.metrics['val_ema/loss']);
    }
    const last = await readFakeCheckpoint(join(dir, 'last'));
    expect(last.metadata.weights).toBe('ema');
    // The trained weights are back in the model after the EMA swap for saving.
    const live = await weightValues(model);
    expect(last.weights.some((w, i) => w.some((v, k) => Math.abs(v - live[i]![k]!) > 1e-7))).toBe(true);
    expect(await readdir(dir)).not.toContain('epoch-2');
    model.dispose();
  });

  it('warns when the EMA decay is too slow for the run', async () => {
    const model = tinyConvModel({ numClasses: NUM_CLASSES, seed: 1 });
    const warnings: string[] = [];
    await train({
      model,
      ...sources(),
      config: trainerConfig({ epochs: 1, ema: { enabled: true, decay: 0.99995 } }),
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    });
    expect(warnings.join('\n')).toMatch(/EMA decay 0\.99995 averages over ~20000 steps/);
    model.dispose();
  });
});
