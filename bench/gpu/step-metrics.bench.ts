/**
 * What reading a step's metrics one step late costs or saves (issue 17): the trainer's epoch loop
 * (`runTrainingEpoch`: loss, correct count and gradient norm packed into one tensor, read back
 * once, awaited after the next step is recorded) against the loop it replaced (the three scalars
 * read back and awaited right after each step), on the same model, batches and seed, alternating
 * which loop runs first in each round. Reports per loop the mean step time, tfjs kernels and
 * readbacks per step (`installStepCounters`), and whether the final weights are bit-identical.
 *
 *   npx jiti bench/gpu/step-metrics.bench.ts [--backend cpu|wasm|webgpu] [--arch mobilenetv4_conv_small]
 *     [--size 32] [--batch 8] [--steps 6] [--warmup 1] [--rounds 2] [--ema 0.9998]
 *
 * On `cpu`/`wasm` every value is ready when the step returns, so the late read can only save the
 * two extra readbacks; the overlap it enables is for `webgpu`. Prints one JSON object on stdout.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendPreference,
  selectBackend,
} from '../../packages/plugin-tfjs/src/backend/select-backend.js';
import { installStepCounters } from '../../packages/plugin-tfjs/src/backend/webgpu/step-counters.js';
import type { Batch, BatchSource } from '../../packages/plugin-tfjs/src/data/batch-source.js';
import { batchToTensors } from '../../packages/plugin-tfjs/src/evaluate/batch-tensors.js';
import { buildModel } from '../../packages/plugin-tfjs/src/models/registry.js';
import { createOptimizer } from '../../packages/plugin-tfjs/src/train/create-optimizer.js';
import { ModelEma } from '../../packages/plugin-tfjs/src/train/ema.js';
import { modelVariables, trainableVariables } from '../../packages/plugin-tfjs/src/train/model-variables.js';
import {
  mixSeed,
  mulberry32,
  withSeededMathRandom,
} from '../../packages/plugin-tfjs/src/train/seeded-random.js';
import { runTrainingEpoch } from '../../packages/plugin-tfjs/src/train/train-epoch.js';
import { type TrainStepContext, trainStep } from '../../packages/plugin-tfjs/src/train/train-step.js';
import { flag } from '../lib/flags.js';
import { ARCHS } from './profile-step-core.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const arch = flag('arch', 'mobilenetv4_conv_small');
const size = Number(flag('size', '32'));
const batchSize = Number(flag('batch', '8'));
const steps = Number(flag('steps', '6'));
const warmup = Number(flag('warmup', '1'));
const rounds = Number(flag('rounds', '2'));
const emaDecay = Number(flag('ema', '0.9998'));
const SEED = 42;
const settings = ARCHS[arch];
if (!settings) throw new Error(`step-metrics: unknown --arch ${arch} (${Object.keys(ARCHS).join(', ')})`);
const startedAt = new Date();
const backendInfo = await selectBackend((flag('backend') ?? 'cpu') as BackendPreference, log);

/** `count` deterministic batches (the same for both loops). */
function batches(count: number, offset: number): Batch[] {
  const random = mulberry32(SEED + offset);
  return Array.from({ length: count }, () => {
    const x = new Float32Array(batchSize * size * size * settings!.channels);
    for (let i = 0; i < x.length; i++) x[i] = random() * 2 - 1;
    const y = Int32Array.from({ length: batchSize }, () => Math.floor(random() * 10));
    return { x, y, n: batchSize };
  });
}
const epochs = [batches(warmup, 0), batches(steps, 1)];
const source: BatchSource = {
  shape: { height: size, width: size, channels: settings.channels },
  size: batchSize * steps,
  numClasses: 10,
  async *batches(epoch: number) {
    yield* epochs[epoch]!;
  },
  async close() {},
};
const schedule = { totalSteps: warmup + steps, warmupSteps: 0, lrAt: () => 1e-3 };

/** The replaced loop: each step's three scalars read back and awaited before the next step. */
async function eagerEpoch(step: TrainStepContext, ema: ModelEma, epoch: number, firstStep: number) {
  let globalStep = firstStep;
  let lossSum = 0;
  for await (const batch of source.batches(epoch, batchSize)) {
    const { x, y } = batchToTensors(batch, source.shape, {
      modelChannels: settings!.channels,
      numClasses: 10,
    });
    const r = withSeededMathRandom(mixSeed(SEED, globalStep), () => trainStep(step, x, y));
    tf.dispose([x, y]);
    const [loss] = await Promise.all([r.loss.data(), r.correct.data(), r.gradNorm.data()]);
    tf.dispose([r.loss, r.correct, r.gradNorm]);
    ema.update();
    lossSum += loss[0]! * batch.n;
    globalStep += 1;
  }
  return lossSum;
}

async function runLoop(loop: 'eager' | 'late') {
  const model = buildModel(arch, {
    numClasses: 10,
    inputSize: size,
    inputChannels: settings!.channels,
    dropout: settings!.dropout,
    seed: SEED,
  });
  const params = trainableVariables(model);
  const optimizer = createOptimizer(settings!.optimizer, params, 1e-3);
  const ema = new ModelEma(modelVariables(model), { decay: emaDecay });
  const step: TrainStepContext = { model, params, optimizer, labelSmoothing: 0.1, gradClip: 1 };
  const epoch = (e: number, firstStep: number) =>
    loop === 'eager'
      ? eagerEpoch(step, ema, e, firstStep)
      : runTrainingEpoch({
          step,
          source,
          epoch: e,
          batchSize,
          schedule: schedule as never,
          firstStep,
          seed: SEED,
          ema,
          bar: undefined,
          signal: undefined,
        }).then((t) => t.lossSum);
  try {
    await epoch(0, 0);
    const counters = installStepCounters();
    const t0 = performance.now();
    const lossSum = await epoch(1, warmup);
    const ms = performance.now() - t0;
    const counts = counters.snapshot();
    counters.uninstall();
    const hash = createHash('sha256');
    for (const v of modelVariables(model)) hash.update(Buffer.from((await v.data<'float32'>()).buffer));
    return {
      stepMs: ms / steps,
      kernelsPerStep: counts.kernels / steps,
      readbacksPerStep: counts.readbacks / steps,
      dispatchesPerStep: counts.dispatches === null ? null : counts.dispatches / steps,
      lossSum,
      weightsSha256: hash.digest('hex'),
    };
  } finally {
    ema.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

type LoopResult = Awaited<ReturnType<typeof runLoop>>;
const results: Record<'eager' | 'late', LoopResult[]> = { eager: [], late: [] };
for (let r = 0; r < rounds; r++) {
  const order: ('eager' | 'late')[] = r % 2 === 0 ? ['eager', 'late'] : ['late', 'eager'];
  for (const loop of order) {
    const result = await runLoop(loop);
    log(
      `${tf.getBackend()} round ${r + 1}/${rounds} ${loop}: ${result.stepMs.toFixed(1)} ms/step, ${result.readbacksPerStep} readbacks/step`,
    );
    results[loop].push(result);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Number(x.toFixed(3));
const summary = (list: LoopResult[]) => ({
  stepMsMedian: round(median(list.map((l) => l.stepMs))),
  stepMs: list.map((l) => round(l.stepMs)),
  kernelsPerStep: list[0]!.kernelsPerStep,
  readbacksPerStep: list[0]!.readbacksPerStep,
  dispatchesPerStep: list[0]!.dispatchesPerStep,
  lossSum: list[0]!.lossSum,
  weightsSha256: list[0]!.weightsSha256,
});
const eager = summary(results.eager);
const late = summary(results.late);
const hashes = new Set([...results.eager, ...results.late].map((l) => l.weightsSha256));
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'step-metrics',
      startedAt: startedAt.toISOString(),
      durationS: Number(((Date.now() - startedAt.getTime()) / 1000).toFixed(1)),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model,
        node: process.version,
        loadAverage: os.loadavg(),
      },
      backend: backendInfo,
      options: { arch, size, batch: batchSize, steps, warmup, rounds, emaDecay },
      eager,
      late,
      weightsBitIdentical: hashes.size === 1,
      ratios: { stepMsEagerOverLate: round(eager.stepMsMedian / late.stepMsMedian) },
    },
    null,
    2,
  )}\n`,
);
