/**
 * Side by side with PyTorch on this machine, and whether the input pipeline keeps up.
 *
 *   npx jiti bench/side-by-side.bench.ts [--sizes 64,32] [--batch 64] [--rounds 5] [--steps 20]
 *     [--threads N] [--python /usr/bin/python3] [--peer ../shared/peers/mnv4_torch.py]
 *     [--only ratio|pipeline] [--pipeline-steps 60] [--quick]
 *
 * ratio: MobileNetV4-conv-small train img/s of this engine (wasm backend, `trainStep`: AdamW,
 * label smoothing 0.1, scalars read back) and of PyTorch (`mnv4_torch.py`, the same architecture
 * in plain PyTorch, AdamW, label smoothing 0.1) at each size, batch `--batch`, both with `--threads`
 * threads (default: every core) on one fixed random batch. The host is shared and noisy, so the
 * two sides alternate `--rounds` times (the order flips every round, each PyTorch round is a fresh
 * process timing `--steps` steps after 3 warm-up steps, each engine round `--steps` steps of a
 * model warmed up once per size) and the medians are compared: `ratio` = engine median ÷ PyTorch
 * median, next to the goals (≥ 0.6 at 64 px, ≥ 1.2 at 32 px). Without a Python that can
 * `import torch` (Debian's `python3-torch` at /usr/bin/python3), this part is skipped with a
 * message.
 *
 * pipeline: the real input pipeline (`TrainBatchSource`, Fashion-MNIST, one augmentation worker as
 * the engine uses) feeding real train steps on the same cores, for the example
 * (`examples/image-classifier/configs/default.yaml`) and for MobileNetV4-conv-small at 64 px with
 * timm's full recipe (`configs/full.yaml`: random resized crop, flip, RandAugment
 * `rand-m8-inc1-mstd1.0`, grayscale, blur, random erasing; batch 128). Per step it separates the
 * wait for the next batch from the step itself: `trainerBound` when the waits are under 5% of
 * the time.
 *
 * Prints one JSON object on stdout, progress on stderr. Not part of the test suite.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ArtifactStore, loadConfig } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../packages/plugin-tfjs/src/backend/select-backend.js';
import { machineThreads } from '../packages/plugin-tfjs/src/backend/wasm-threads/thread-count.js';
import { setWasmThreads } from '../packages/plugin-tfjs/src/backend/wasm-threads/wasm-threads.js';
import {
  FASHION_MNIST_LABELS,
  loadDecodedSplit,
  materializeFashionMnist,
  TrainBatchSource,
} from '../packages/plugin-tfjs/src/data/index.js';
import { batchToTensors } from '../packages/plugin-tfjs/src/evaluate/batch-tensors.js';
import { buildModel } from '../packages/plugin-tfjs/src/models/index.js';
import { createOptimizer } from '../packages/plugin-tfjs/src/train/create-optimizer.js';
import { resolveLearningRate } from '../packages/plugin-tfjs/src/train/lr-schedule.js';
import { trainableVariables } from '../packages/plugin-tfjs/src/train/model-variables.js';
import { type TrainStepContext, trainStep } from '../packages/plugin-tfjs/src/train/train-step.js';
import { flag, hasFlag } from './lib/flags.js';
import { median } from './lib/stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = hasFlag('quick');
const SIZES = flag('sizes', '64,32').split(',').map(Number);
const BATCH = Number(flag('batch', '64'));
const ROUNDS = Number(flag('rounds', QUICK ? '2' : '5'));
const STEPS = Number(flag('steps', QUICK ? '5' : '20'));
const THREADS = Number(flag('threads', String(machineThreads())));
const PYTHON = flag('python', '/usr/bin/python3');
const PEER = resolve(root, flag('peer', '../shared/peers/mnv4_torch.py'));
const ONLY = flag('only');
const PIPELINE_STEPS = Number(flag('pipeline-steps', QUICK ? '12' : '60'));
const NUM_CLASSES = 10;
/** The goals: engine img/s ÷ PyTorch img/s per input size. */
const GOALS: Record<number, number> = { 64: 0.6, 32: 1.2 };

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
const load = (): number[] => loadavg().map((v) => round(v, 2));

// ---------------------------------------------------------------------------------------------
// ratio

/** Why PyTorch cannot run here, or undefined when it can. */
function torchMissing(): string | undefined {
  if (!existsSync(PEER)) return `the peer script ${PEER} does not exist`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message})`;
  if (probe.status !== 0) {
    return `${PYTHON} cannot import torch (install Debian's python3-torch, or pass --python): ${probe.stderr.trim().split('\n').at(-1)}`;
  }
  return undefined;
}

/** One PyTorch round: a fresh process, 3 warm-up steps, then `STEPS` timed ones. */
function torchRound(size: number): { trainImgPerSec: number; peer: string } {
  const args = [PEER, '--size', String(size), '--batch', String(BATCH), '--steps', String(STEPS)];
  const run = spawnSync(PYTHON, [...args, '--threads', String(THREADS)], { encoding: 'utf8' });
  if (run.status !== 0)
    throw new Error(`PyTorch peer failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { train_img_s: number; peer: string };
  return { trainImgPerSec: result.train_img_s, peer: result.peer };
}

/** The engine's side at one size: a model and batch, warmed up, timed `STEPS` steps per round. */
function engineSide(size: number): { round(): number; dispose(): void } {
  const model = buildModel('mobilenetv4_conv_small', {
    numClasses: NUM_CLASSES,
    inputSize: size,
    inputChannels: 3,
    // The peer's head dropout.
    dropout: 0.2,
    seed: 0,
  });
  const params = trainableVariables(model);
  // The peer's optimizer: AdamW, lr 1e-3, weight decay 0.05 (default betas).
  const optimizer = createOptimizer(
    { optimizer: 'adamw', betas: [0.9, 0.999], weightDecay: 0.05, momentum: 0.9 },
    params,
    1e-3,
  );
  const context: TrainStepContext = { model, params, optimizer, labelSmoothing: 0.1, gradClip: 0 };
  const x = tf.randomNormal([BATCH, size, size, 3], 0, 1, 'float32', 0);
  const y = tf.tensor1d(
    Array.from({ length: BATCH }, (_, i) => i % NUM_CLASSES),
    'int32',
  );
  const step = (): void => {
    const r = trainStep(context, x, y);
    // Reading the scalars back waits for the step, as the training loop does.
    r.loss.dataSync();
    r.correct.dataSync();
    r.gradNorm.dataSync();
    tf.dispose([r.loss, r.correct, r.gradNorm]);
  };
  for (let i = 0; i < 3; i++) step();
  return {
    round: () => {
      const start = performance.now();
      for (let i = 0; i < STEPS; i++) step();
      return (STEPS * BATCH * 1000) / (performance.now() - start);
    },
    dispose: () => {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

async function ratioSection(): Promise<Record<string, unknown>> {
  const missing = torchMissing();
  if (missing) {
    log(`side-by-side: PyTorch side skipped: ${missing}`);
    return { skipped: `PyTorch unavailable: ${missing}` };
  }
  setWasmThreads(THREADS);
  const sizes: Record<string, unknown> = {};
  for (const size of SIZES) {
    const engine = engineSide(size);
    const torchRounds: number[] = [];
    const engineRounds: number[] = [];
    let peer = '';
    try {
      for (let r = 0; r < ROUNDS; r++) {
        // Alternate which side goes first, so a drift in the machine's load hits both alike.
        const order = r % 2 === 0 ? ['pytorch', 'engine'] : ['engine', 'pytorch'];
        for (const side of order) {
          if (side === 'pytorch') {
            const result = torchRound(size);
            peer = result.peer;
            torchRounds.push(result.trainImgPerSec);
          } else {
            engineRounds.push(engine.round());
          }
        }
        log(
          `  ${size} px round ${r + 1}/${ROUNDS}: engine ${round(engineRounds.at(-1)!)} img/s, PyTorch ${round(torchRounds.at(-1)!)} img/s, load ${load()[0]}`,
        );
      }
    } finally {
      engine.dispose();
    }
    const engineMedian = median(engineRounds);
    const torchMedian = median(torchRounds);
    const ratio = engineMedian / torchMedian;
    sizes[String(size)] = {
      engine: {
        trainImgPerSecByRound: engineRounds.map((v) => round(v)),
        medianTrainImgPerSec: round(engineMedian),
      },
      pytorch: {
        peer,
        trainImgPerSecByRound: torchRounds.map((v) => round(v)),
        medianTrainImgPerSec: round(torchMedian),
      },
      ratio: round(ratio, 3),
      ratioOfRounds: round(median(engineRounds.map((e, i) => e / torchRounds[i]!)), 3),
      ...(GOALS[size] !== undefined ? { goal: GOALS[size], meetsGoal: ratio >= GOALS[size]! } : {}),
    };
    log(
      `${size} px: engine ${round(engineMedian)} img/s, PyTorch ${round(torchMedian)} img/s → ${round(ratio, 3)}×`,
    );
  }
  return {
    arch: 'mobilenetv4_conv_small',
    batch: BATCH,
    threads: THREADS,
    rounds: ROUNDS,
    stepsPerRound: STEPS,
    sizes,
  };
}

// ---------------------------------------------------------------------------------------------
// pipeline

/** Real batches into real train steps: how long the loop waits for data vs how long it trains. */
async function pipelineCase(
  label: string,
  configFile: string,
  store: ArtifactStore,
  data: Parameters<typeof loadDecodedSplit>[0]['data'],
): Promise<Record<string, unknown>> {
  const { config } = await loadConfig({ cwd: join(root, 'examples/image-classifier'), configFile });
  const { model: spec, train: trainConfig } = config;
  const split = await loadDecodedSplit({
    store,
    data,
    split: 'train',
    size: spec.inputSize,
    channels: spec.inputChannels,
  });
  const source = new TrainBatchSource({
    dataset: split,
    augment: trainConfig.augment,
    ...(config.data.normalize ? { normalize: config.data.normalize } : {}),
    seed: trainConfig.seed,
    // The engine's default (`tfjs({ workers })`): one augmentation worker.
    workers: 1,
  });
  const model = buildModel(spec.architecture, {
    numClasses: NUM_CLASSES,
    inputSize: spec.inputSize,
    inputChannels: spec.inputChannels,
    widthMultiplier: spec.widthMultiplier,
    dropout: spec.dropout,
    seed: trainConfig.seed,
  });
  const params = trainableVariables(model);
  const optimizer = createOptimizer(trainConfig, params, resolveLearningRate(trainConfig).lr);
  const context: TrainStepContext = {
    model,
    params,
    optimizer,
    labelSmoothing: trainConfig.labelSmoothing,
    gradClip: trainConfig.gradClip,
  };
  const waits: number[] = [];
  const steps: number[] = [];
  const warmup = 3;
  try {
    let stepEnd = performance.now();
    for await (const batch of source.batches(1, trainConfig.batchSize)) {
      const arrived = performance.now();
      const { x, y } = batchToTensors(batch, source.shape, {
        modelChannels: spec.inputChannels,
        numClasses: NUM_CLASSES,
      });
      const r = trainStep(context, x, y);
      await Promise.all([r.loss.data(), r.correct.data(), r.gradNorm.data()]);
      tf.dispose([x, y, r.loss, r.correct, r.gradNorm]);
      const end = performance.now();
      waits.push(arrived - stepEnd);
      steps.push(end - arrived);
      stepEnd = end;
      if (steps.length >= PIPELINE_STEPS + warmup) break;
    }
  } finally {
    await source.close();
    optimizer.dispose();
    model.dispose();
  }
  const w = waits.slice(warmup);
  const s = steps.slice(warmup);
  const waited = w.reduce((a, b) => a + b, 0);
  const trained = s.reduce((a, b) => a + b, 0);
  const fraction = waited / (waited + trained);
  const result = {
    config: configFile,
    architecture: spec.architecture,
    inputSize: spec.inputSize,
    inputChannels: spec.inputChannels,
    batch: trainConfig.batchSize,
    augment: trainConfig.augment,
    steps: s.length,
    medianStepMs: round(median(s), 2),
    medianWaitMs: round(median(w), 3),
    maxWaitMs: round(Math.max(...w), 2),
    waitFraction: round(fraction, 4),
    trainImgPerSec: round((s.length * trainConfig.batchSize * 1000) / (waited + trained)),
    trainerBound: fraction < 0.05,
  };
  log(
    `  ${label}: step ${result.medianStepMs} ms, wait median ${result.medianWaitMs} ms (${round(100 * fraction, 2)}% of the time) → ${result.trainerBound ? 'trainer-bound' : 'INPUT-BOUND'}`,
  );
  return result;
}

async function pipelineSection(): Promise<Record<string, unknown>> {
  setWasmThreads(THREADS);
  const work = await mkdtemp(join(tmpdir(), 'mlops-bench-side-'));
  try {
    const datasetRoot = await materializeFashionMnist({
      datasetsDir: join(work, 'datasets'),
      validationFraction: 0.1,
    });
    // The decode cache only needs the dataset tree on disk (as in input-pipeline.bench.ts).
    const store = {
      location: join(work, 'store'),
      localPath: async () => datasetRoot,
    } as unknown as ArtifactStore;
    const data = {
      dataset: { hash: 'bench', kind: 'dir' as const, size: 0 },
      version: 'bench',
      classes: [...FASHION_MNIST_LABELS],
    };
    return {
      threads: THREADS,
      augmentationWorkers: 1,
      example: await pipelineCase('example', 'configs/default.yaml', store, data),
      mobilenetv4Timm64: await pipelineCase(
        'MobileNetV4 64 px, timm recipe',
        'configs/full.yaml',
        store,
        data,
      ),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const startedAt = new Date().toISOString();
const loadAtStart = load();
const t0 = performance.now();
const backend = await selectBackend('wasm', undefined, { threads: THREADS });
log(`backend: ${backend.reason}`);
const result: Record<string, unknown> = {
  bench: 'side-by-side',
  startedAt,
  machine: {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverageAtStart: loadAtStart,
  },
  backend: { name: backend.name, threads: backend.threads },
};
if (ONLY === undefined || ONLY === 'ratio') result.ratio = await ratioSection();
if (ONLY === undefined || ONLY === 'pipeline') result.pipeline = await pipelineSection();
(result.machine as Record<string, unknown>).loadAverageAtEnd = load();
result.durationS = round((performance.now() - t0) / 1000);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
