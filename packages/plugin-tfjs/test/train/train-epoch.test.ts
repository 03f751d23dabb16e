/**
 * `runTrainingEpoch` reads each step's metrics one step late, in one packed readback. That must
 * not change training: the weights (and EMA shadows, and the epoch's sums) after an epoch are
 * bit-identical to a loop that reads every step's loss, count and norm at once, on `cpu` and on
 * `wasm` (whose fused BatchNorm kernels are active for the model below).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { batchToTensors } from '../../src/evaluate/batch-tensors.js';
import { AdamW } from '../../src/train/adamw.js';
import { ModelEma } from '../../src/train/ema.js';
import { createLrSchedule } from '../../src/train/lr-schedule.js';
import { modelVariables, trainableVariables } from '../../src/train/model-variables.js';
import { mixSeed, withSeededMathRandom } from '../../src/train/seeded-random.js';
import { runTrainingEpoch } from '../../src/train/train-epoch.js';
import { trainStep } from '../../src/train/train-step.js';
import { syntheticSource, tinyConvModel } from './helpers.js';

const SEED = 5;
const BATCH = 6;
const schedule = createLrSchedule({
  scheduler: 'cosine',
  peakLr: 0.05,
  epochs: 2,
  stepsPerEpoch: 4,
  warmupEpochs: 0,
  warmupLr: 0,
  minLr: 0,
});

interface Setup {
  model: LayersModel;
  params: tf.Variable[];
  optimizer: AdamW;
  ema: ModelEma;
  source: ReturnType<typeof syntheticSource>;
}

function setup(): Setup {
  const model = tinyConvModel({ numClasses: 3, seed: 1, dropout: 0.3 });
  const params = trainableVariables(model);
  const optimizer = new AdamW(params, { learningRate: 0.05 });
  const ema = new ModelEma(modelVariables(model), { decay: 0.9 });
  const source = syntheticSource({ size: 22, numClasses: 3, seed: 3, shuffle: true });
  return { model, params, optimizer, ema, source };
}

async function weightBytes(s: Setup): Promise<Buffer[]> {
  const weights = await Promise.all(modelVariables(s.model).map((v) => v.data<'float32'>()));
  return weights.map((w) => Buffer.from(Float32Array.from(w).buffer));
}

async function emaBytes(s: Setup): Promise<Buffer[]> {
  s.ema.swapIn();
  try {
    return await weightBytes(s);
  } finally {
    s.ema.swapOut();
  }
}

function dispose(s: Setup): void {
  s.ema.dispose();
  s.optimizer.dispose();
  s.model.dispose();
}

/** The trainer's loop as it was before the late read: every step's metrics awaited at once. */
async function eagerEpoch(s: Setup, epoch: number, firstStep: number) {
  let globalStep = firstStep;
  let lossSum = 0;
  let correctSum = 0;
  let gradNormSum = 0;
  for await (const batch of s.source.batches(epoch, BATCH)) {
    const lr = schedule.lrAt(globalStep);
    s.optimizer.learningRate = lr;
    const { x, y } = batchToTensors(batch, s.source.shape, { modelChannels: 1, numClasses: 3 });
    const step = {
      model: s.model,
      params: s.params,
      optimizer: s.optimizer,
      labelSmoothing: 0.1,
      gradClip: 1,
    };
    const r = withSeededMathRandom(mixSeed(SEED, globalStep), () => trainStep(step, x, y));
    tf.dispose([x, y]);
    const [loss, correct, norm] = await Promise.all([r.loss.data(), r.correct.data(), r.gradNorm.data()]);
    tf.dispose([r.loss, r.correct, r.gradNorm]);
    s.ema.update();
    lossSum += loss[0]! * batch.n;
    correctSum += correct[0]!;
    gradNormSum += norm[0]!;
    globalStep += 1;
  }
  return { globalStep, lossSum, correct: correctSum, gradNormSum };
}

async function lateReadEpoch(s: Setup, epoch: number, firstStep: number, ticks?: string[]) {
  return runTrainingEpoch({
    step: { model: s.model, params: s.params, optimizer: s.optimizer, labelSmoothing: 0.1, gradClip: 1 },
    source: s.source,
    epoch,
    batchSize: BATCH,
    schedule,
    firstStep,
    seed: SEED,
    ema: s.ema,
    bar: ticks ? ({ tick: (_n: number, label: string) => ticks.push(label) } as never) : undefined,
    signal: undefined,
  });
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['cpu', 'wasm'])('runTrainingEpoch on %s', (backend) => {
  it('ends two epochs with bit-identical weights, EMA and sums to reading every step at once', async () => {
    await selectBackend(backend as 'cpu' | 'wasm');
    expect(tf.getBackend()).toBe(backend);
    const eager = setup();
    const late = setup();
    let eagerStep = 0;
    let lateStep = 0;
    const ticks: string[] = [];
    for (const epoch of [1, 2]) {
      const a = await eagerEpoch(eager, epoch, eagerStep);
      const tensorsBefore = tf.memory().numTensors;
      const b = await lateReadEpoch(late, epoch, lateStep, ticks);
      // Epoch 1 adds the optimizer's slots; after that an epoch leaves no tensor behind.
      if (epoch === 2) expect(tf.memory().numTensors).toBe(tensorsBefore);
      eagerStep = a.globalStep;
      lateStep = b.globalStep;
      expect(b.globalStep).toBe(a.globalStep);
      expect(b.steps).toBe(4);
      expect(b.images).toBe(22);
      expect(b.lossSum).toBe(a.lossSum);
      expect(b.correct).toBe(a.correct);
      expect(b.gradNormSum).toBe(a.gradNormSum);
      expect(Number.isFinite(b.lossSum) && b.lossSum > 0).toBe(true);
    }
    expect(ticks).toHaveLength(8);
    expect(ticks.every((t) => /^loss \d+\.\d{4} lr /.test(t))).toBe(true);
    const [wa, wb] = [await weightBytes(eager), await weightBytes(late)];
    expect(wb.length).toBe(modelVariables(eager.model).length);
    for (let i = 0; i < wa.length; i++) expect(wb[i]!.equals(wa[i]!), `weight ${i}`).toBe(true);
    const [ea, eb] = [await emaBytes(eager), await emaBytes(late)];
    for (let i = 0; i < ea.length; i++) expect(eb[i]!.equals(ea[i]!), `EMA weight ${i}`).toBe(true);
    // Not vacuous: training moved the weights away from the EMA's.
    expect(wa.some((w, i) => !w.equals(ea[i]!))).toBe(true);
    dispose(eager);
    dispose(late);
  });

  it('reports a diverged step by its own number although it is read one step late', async () => {
    await selectBackend(backend as 'cpu' | 'wasm');
    const s = setup();
    // An infinite learning rate at step 11 (0-based global step of this epoch's second batch).
    const bad = { ...schedule, lrAt: (step: number) => (step === 11 ? Number.POSITIVE_INFINITY : 0.05) };
    await expect(
      runTrainingEpoch({
        step: { model: s.model, params: s.params, optimizer: s.optimizer, labelSmoothing: 0, gradClip: 0 },
        source: s.source,
        epoch: 1,
        batchSize: BATCH,
        schedule: bad,
        firstStep: 10,
        seed: SEED,
        ema: undefined,
        bar: undefined,
        signal: undefined,
      }),
    ).rejects.toThrow(/diverged: loss (NaN|-?Infinity) at epoch 1, step 12 /);
    s.optimizer.dispose();
    s.model.dispose();
    s.ema.dispose();
  });
});
