/**
 * Engine throughput: full training steps and inference, per backend × architecture × input size,
 * using the project's own pieces — `buildModel` (model zoo), `createOptimizer` (AdamW),
 * `trainStep` (forward in training mode, softmax cross-entropy with label smoothing 0.1,
 * `tf.variableGrads`, optimizer update) and `selectBackend`.
 *
 *   npx jiti bench/train-throughput.bench.ts [--quick] [--backend wasm] [--arch small_cnn] [--size 64]
 *     [--train-seconds 4] [--infer-seconds 2] [--batch 64] [--warmup 2] [--max-step-seconds 15]
 *
 * --backend X        only backend X (repeatable or comma-separated; default: every one of
 *                    tensorflow, webgpu, wasm, cpu that `selectBackend` can activate)
 * --arch X           only architecture X (small_cnn, mobilenetv4_conv_small; repeatable/comma)
 * --size N           only input size N (repeatable/comma); default 28, 32, 64 for small_cnn and
 *                    32, 64 for mobilenetv4_conv_small
 * --train-seconds S  wall budget of the measured train steps per cell (default 4; --quick 0.5)
 * --infer-seconds S  wall budget per inference measurement (batch 1, then batch 64) (default 2;
 *                    --quick 0.3)
 * --warmup N         untimed train steps (and inference calls) before measuring (default 2;
 *                    --quick 1)
 * --max-step-seconds S  skip a batch-64 measurement whose extrapolated step time exceeds S
 *                    (default 15). The cpu backend's Conv2DBackpropFilter is pathologically slow
 *                    (a batch-64 small_cnn step takes minutes), so its train cells report the
 *                    extrapolation from batch-2 steps unless this is raised.
 * --threads N        threads of the wasm backend (default: every core)
 * --quick            tiny budgets, for a smoke test of the whole grid
 *
 * Every cell first times two train steps at batch 2 (the probe: the first pays the one-off setup,
 * the second is scaled linearly to batch 64 — an upper bound, since per-step fixed costs do not
 * scale; the second step is skipped when the first alone is slow and 4x over the cap). Unless the
 * extrapolation exceeds --max-step-seconds, it then runs the warmup and steps until the budget is
 * spent (at least 2 timed train steps). Inference: batch 1 (at least 10 calls, p50/p99), then
 * batch 64 (at least 2 calls) unless p50 × 64 exceeds the cap. Inputs are one fixed random batch
 * per cell, so no data pipeline cost is included (see input-pipeline.bench.ts for that). Each
 * train step waits for its loss/accuracy/grad-norm scalars, as the training loop does.
 *
 * Prints one JSON object on stdout; progress goes to stderr. Wall-clock numbers on a shared
 * machine: the load average is reported next to them, compare only numbers from the same run.
 */
import { availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendInfo,
  type BackendPreference,
  selectBackend,
} from '../packages/plugin-tfjs/src/backend/select-backend.js';
import { buildModel } from '../packages/plugin-tfjs/src/models/index.js';
import { createOptimizer, type OptimizerConfig } from '../packages/plugin-tfjs/src/train/create-optimizer.js';
import { trainableVariables } from '../packages/plugin-tfjs/src/train/model-variables.js';
import { type TrainStepContext, trainStep } from '../packages/plugin-tfjs/src/train/train-step.js';

// ---------------------------------------------------------------------------------------------
// Arguments

const argv = process.argv.slice(2);

/** Values of a repeatable `--name value` / `--name=value` flag, comma lists split. */
function flagValues(name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let value: string | undefined;
    if (a === `--${name}`) value = argv[++i];
    else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
    else continue;
    if (value == null || value.startsWith('--')) throw new Error(`--${name} needs a value`);
    out.push(...value.split(',').filter((v) => v !== ''));
  }
  return out;
}

function numberFlag(name: string, fallback: number): number {
  const values = flagValues(name);
  if (values.length === 0) return fallback;
  const n = Number(values.at(-1));
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
}

const QUICK = argv.includes('--quick');
const BATCH = numberFlag('batch', 64);
const TRAIN_S = numberFlag('train-seconds', QUICK ? 0.5 : 4);
const INFER_S = numberFlag('infer-seconds', QUICK ? 0.3 : 2);
const WARMUP = numberFlag('warmup', QUICK ? 1 : 2);
const MAX_STEP_S = numberFlag('max-step-seconds', 15);
const THREADS = flagValues('threads').length > 0 ? numberFlag('threads', 0) : undefined;
const PROBE_BATCH = 2;
const MIN_STEPS = 2;
const NUM_CLASSES = 10;
const LABEL_SMOOTHING = 0.1;

const ALL_BACKENDS: Exclude<BackendPreference, 'auto'>[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/** Architectures and their settings, as the example configs use them. */
const ARCHS: Record<
  string,
  {
    sizes: number[];
    /** Sizes run only when `--size` names them (ImageNet's 224 px: the GPU comparison, bench/gpu). */
    onRequestSizes?: number[];
    channels: number;
    dropout: number;
    optimizer: OptimizerConfig;
  }
> = {
  // examples/image-classifier/configs/default.yaml
  small_cnn: {
    sizes: [28, 32, 64],
    channels: 1,
    dropout: 0.3,
    optimizer: { optimizer: 'adamw', betas: [0.9, 0.999], weightDecay: 0.05, momentum: 0.9 },
  },
  // configs/timm-mobilenetv4-conv-small.yaml + examples/image-classifier/configs/full.yaml
  mobilenetv4_conv_small: {
    sizes: [32, 64],
    onRequestSizes: [224],
    channels: 3,
    dropout: 0.25,
    optimizer: { optimizer: 'adamw', betas: [0.6, 0.995], weightDecay: 0.06, momentum: 0.9 },
  },
};

const wantBackends = flagValues('backend');
for (const b of wantBackends) {
  if (!(ALL_BACKENDS as string[]).includes(b)) throw new Error(`Unknown --backend ${b} (${ALL_BACKENDS})`);
}
const wantArchs = flagValues('arch');
for (const a of wantArchs) {
  if (ARCHS[a] == null) throw new Error(`Unknown --arch ${a} (${Object.keys(ARCHS)})`);
}
const wantSizes = flagValues('size').map(Number);

// ---------------------------------------------------------------------------------------------
// Helpers

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
const load = (): number[] => loadavg().map((v) => round(v));
const mb = (bytes: number): number => round(bytes / 2 ** 20, 1);
/** img/s with 3 decimals below 10 (the cpu backend's numbers), 1 above. */
const rate = (v: number): number => round(v, v < 10 ? 3 : 1);

/** Quantile of an ascending array (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Bytes of the wasm backend's linear memory (it only ever grows), if the backend exposes it. */
function wasmHeapBytes(): number | undefined {
  const backend = tf.backend() as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.byteLength;
}

/** Memory snapshot: tfjs tensors/bytes, process RSS, wasm heap. */
function memory(): Record<string, number | undefined> {
  const m = tf.memory();
  return {
    tensors: m.numTensors,
    tfMB: mb(m.numBytes),
    rssMB: mb(process.memoryUsage().rss),
    wasmHeapMB: wasmHeapBytes() == null ? undefined : mb(wasmHeapBytes()!),
  };
}

/** Runs `fn` `warmup` times, then until `budgetS` is spent (at least `minRuns`); ms per run. */
async function measure(
  fn: () => Promise<void>,
  warmup: number,
  budgetS: number,
  minRuns: number,
): Promise<{ warmupMs: number[]; times: number[]; wallMs: number }> {
  const warmupMs: number[] = [];
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    await fn();
    warmupMs.push(performance.now() - t0);
  }
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < budgetS * 1000) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { warmupMs, times, wallMs: performance.now() - start };
}

/** Median ms / img/s summary of equal-sized runs. */
function summarize(times: readonly number[], images: number, wallMs: number): Record<string, number> {
  const sorted = [...times].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  return {
    runs: times.length,
    medianMs: round(median),
    minMs: round(sorted[0]!),
    maxMs: round(sorted.at(-1)!),
    imgPerSec: rate((images * 1000) / median),
    // Over the whole measured wall time (includes GC pauses and outliers the median hides).
    wallImgPerSec: rate((images * times.length * 1000) / wallMs),
  };
}

// ---------------------------------------------------------------------------------------------
// One cell

interface CellSpec {
  backend: string;
  arch: string;
  inputSize: number;
}

/** One train step as runTrainingEpoch does it, minus the data pipeline. */
function makeStep(
  context: TrainStepContext,
  x: tf.Tensor,
  y: tf.Tensor,
  last: { loss: number; gradNorm: number },
) {
  return async (): Promise<void> => {
    context.optimizer.learningRate = 1e-3;
    const r = trainStep(context, x, y);
    const [loss, , gradNorm] = await Promise.all([r.loss.data(), r.correct.data(), r.gradNorm.data()]);
    tf.dispose([r.loss, r.correct, r.gradNorm]);
    last.loss = loss[0]!;
    last.gradNorm = gradNorm[0]!;
  };
}

/** Random NHWC batch and int32 labels. */
function batchOf(n: number, size: number, channels: number): [tf.Tensor, tf.Tensor] {
  const x = tf.randomNormal([n, size, size, channels]);
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % NUM_CLASSES),
    'int32',
  );
  return [x, y];
}

async function runCell(spec: CellSpec): Promise<Record<string, unknown>> {
  const { arch, inputSize } = spec;
  const settings = ARCHS[arch]!;
  const channels = settings.channels;
  const before = memory();
  const model = buildModel(arch, {
    numClasses: NUM_CLASSES,
    inputSize,
    inputChannels: channels,
    dropout: settings.dropout,
    seed: 42,
  });
  const params = trainableVariables(model);
  const optimizer = createOptimizer(settings.optimizer, params, 1e-3);
  const context: TrainStepContext = {
    model,
    params,
    optimizer,
    labelSmoothing: LABEL_SMOOTHING,
    gradClip: 0,
  };
  const tensors: tf.Tensor[] = [];
  const warnings: string[] = [];
  try {
    const cell: Record<string, unknown> = { ...spec, channels, batch: BATCH, params: model.countParams() };
    const last = { loss: Number.NaN, gradNorm: Number.NaN };

    // Probe: two train steps at batch PROBE_BATCH (the first pays the one-off setup). A backend
    // whose extrapolated batch-BATCH step exceeds MAX_STEP_S is not trained at full batch (one such
    // step can take minutes on the cpu backend); the estimate is reported instead.
    const [px, py] = batchOf(PROBE_BATCH, inputSize, channels);
    tensors.push(px, py);
    const probeStep = makeStep(context, px, py, last);
    // A first probe step that is itself slow and already far over the cap (the cpu backend) is not
    // repeated; a fast one may just be paying the one-off setup (wasm), so it always is.
    const first = await measure(probeStep, 0, 0, 1);
    const firstMs = first.times[0]!;
    const firstLoss = last.loss;
    const repeat = firstMs < 2000 || (firstMs * BATCH) / PROBE_BATCH <= 4 * MAX_STEP_S * 1000;
    const probeMs = repeat ? (await measure(probeStep, 0, 0, 1)).times[0]! : firstMs;
    const estimateMs = (probeMs * BATCH) / PROBE_BATCH;
    const probeInfo = {
      batch: PROBE_BATCH,
      firstStepLoss: round(firstLoss, 4),
      firstStepMs: round(firstMs),
      stepMs: repeat ? round(probeMs) : undefined,
      extrapolatedMsPerStep: round(estimateMs),
      extrapolatedImgPerSec: rate((BATCH * 1000) / estimateMs),
    };

    const [x, y] = batchOf(BATCH, inputSize, channels);
    tensors.push(x, y);
    const afterProbe = memory();
    let afterTrain = afterProbe;
    let trainedSteps = 0;
    if (estimateMs > MAX_STEP_S * 1000) {
      cell.train = {
        skipped: `extrapolated ${round(estimateMs / 1000, 1)} s per batch-${BATCH} step > --max-step-seconds ${MAX_STEP_S}`,
        probe: probeInfo,
      };
      log(`  train: skipped, ~${round(estimateMs / 1000, 1)} s/step extrapolated from batch ${PROBE_BATCH}`);
    } else {
      const step = makeStep(context, x, y, last);
      const train = await measure(step, WARMUP, TRAIN_S, MIN_STEPS);
      afterTrain = memory();
      trainedSteps = train.warmupMs.length + train.times.length;
      const summary = summarize(train.times, BATCH, train.wallMs);
      cell.train = {
        warmupMs: train.warmupMs.map((v) => round(v)),
        ...summary,
        lastLoss: round(last.loss, 4),
        lastGradNorm: round(last.gradNorm, 4),
        probe: probeInfo,
      };
      log(`  train: ${summary.runs} steps, median ${summary.medianMs} ms = ${summary.imgPerSec} img/s`);
    }
    if (last.loss === 0 || last.gradNorm === 0) {
      warnings.push(
        `loss ${last.loss}, gradient norm ${last.gradNorm}: the step computes nothing useful (timings still ` +
          'exercise every kernel, but check the loss on this backend)',
      );
    }

    // Inference in eval mode (dropout off, BatchNorm on moving statistics), as runInference does:
    // model.apply(x, { training: false }), softmax, read back. Batch 1 first: its latency decides
    // whether batch BATCH fits under --max-step-seconds.
    const infer = (input: tf.Tensor) => async (): Promise<void> => {
      const probs = tf.tidy(() => tf.softmax(model.apply(input, { training: false }) as tf.Tensor));
      await probs.data();
      probs.dispose();
    };
    const x1 = tf.randomNormal([1, inputSize, inputSize, channels]);
    tensors.push(x1);
    const beforeInfer = memory();
    const inferOne = await measure(infer(x1), WARMUP, INFER_S, 10);
    const one = [...inferOne.times].sort((a, b) => a - b);
    const inference: Record<string, unknown> = {
      batch1: {
        runs: one.length,
        p50Ms: round(quantile(one, 0.5), 3),
        p99Ms: round(quantile(one, 0.99), 3),
        maxMs: round(one.at(-1)!, 3),
        imgPerSec: rate(1000 / quantile(one, 0.5)),
      },
    };
    const inferEstimateMs = quantile(one, 0.5) * BATCH;
    if (inferEstimateMs > MAX_STEP_S * 1000) {
      inference[`batch${BATCH}`] = {
        skipped: `extrapolated ${round(inferEstimateMs / 1000, 1)} s per batch > --max-step-seconds ${MAX_STEP_S}`,
      };
    } else {
      const inferBatch = await measure(infer(x), WARMUP, INFER_S, MIN_STEPS);
      inference[`batch${BATCH}`] = summarize(inferBatch.times, BATCH, inferBatch.wallMs);
    }
    const afterInfer = memory();
    const b64 = inference[`batch${BATCH}`] as Record<string, unknown>;
    log(
      `  infer: batch ${BATCH} ${b64.skipped != null ? 'skipped' : `median ${b64.medianMs} ms = ${b64.imgPerSec} img/s`}; ` +
        `batch 1 p50 ${round(quantile(one, 0.5), 2)} ms, p99 ${round(quantile(one, 0.99), 2)} ms`,
    );
    cell.inference = inference;
    cell.memory = {
      before,
      afterProbe,
      afterTrain,
      afterInference: afterInfer,
      // Tensors that survive a train step (0 expected: trainStep's outputs are disposed above).
      tensorsLeakedPerTrainStep:
        trainedSteps > 0 ? round((afterTrain.tensors! - afterProbe.tensors!) / trainedSteps, 2) : undefined,
      tensorsLeakedByInference: afterInfer.tensors! - beforeInfer.tensors!,
    };
    if (warnings.length > 0) cell.warnings = warnings;
    return cell;
  } finally {
    tf.dispose(tensors);
    optimizer.dispose();
    model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAtStart = load();
  const t0 = performance.now();

  // Which backends can be activated here: only the ones asked for (default: all).
  const candidates = wantBackends.length > 0 ? (wantBackends as typeof ALL_BACKENDS) : ALL_BACKENDS;
  const backends: BackendInfo[] = [];
  const unavailable: Record<string, string> = {};
  for (const name of candidates) {
    try {
      backends.push(await selectBackend(name, undefined, THREADS !== undefined ? { threads: THREADS } : {}));
    } catch (err) {
      unavailable[name] = (err as Error).message.split('\n')[0]!;
      log(`backend ${name}: unavailable (${unavailable[name]})`);
    }
  }

  const archs = wantArchs.length > 0 ? wantArchs : Object.keys(ARCHS);
  const cells: Record<string, unknown>[] = [];
  const summary: Record<string, Record<string, Record<string, Record<string, number | string>>>> = {};
  let failures = 0;
  for (const info of backends) {
    // Re-activate: probing the next backend switched away from this one.
    await selectBackend(
      info.name as BackendPreference,
      undefined,
      THREADS !== undefined ? { threads: THREADS } : {},
    );
    for (const arch of archs) {
      const { sizes: defaultSizes, onRequestSizes = [] } = ARCHS[arch]!;
      const sizes =
        wantSizes.length === 0
          ? defaultSizes
          : [...defaultSizes, ...onRequestSizes].filter((s) => wantSizes.includes(s));
      for (const inputSize of sizes) {
        const spec = { backend: info.name, arch, inputSize };
        log(`${info.name} ${arch} @${inputSize} (batch ${BATCH}), load ${load().join(' ')}`);
        const loadBefore = load()[0]!;
        let cell: Record<string, unknown>;
        try {
          cell = { ...(await runCell(spec)), load1mBefore: loadBefore, load1mAfter: load()[0] };
        } catch (err) {
          failures++;
          const message = (err as Error).stack ?? String(err);
          log(`  FAILED: ${message}`);
          cell = { ...spec, error: message.split('\n').slice(0, 4).join('\n') };
        }
        cells.push(cell);
        const row: Record<string, number | string> = {};
        if (cell.error != null) row.error = String(cell.error).split('\n')[0]!;
        else {
          const train = cell.train as Record<string, number | string | Record<string, number>>;
          const inference = cell.inference as Record<string, Record<string, number | string>>;
          const batch = inference[`batch${BATCH}`]!;
          if (train.skipped != null) {
            const probe = train.probe as Record<string, number>;
            row.trainSkipped = 'over --max-step-seconds';
            row.trainImgPerSecExtrapolated = probe.extrapolatedImgPerSec!;
          } else {
            row.trainImgPerSec = train.imgPerSec as number;
            row.trainMsPerStep = train.medianMs as number;
          }
          row.inferImgPerSec = batch.skipped != null ? 'skipped' : batch.imgPerSec!;
          row.inferBatch1P50Ms = inference.batch1!.p50Ms!;
          row.inferBatch1P99Ms = inference.batch1!.p99Ms!;
          if (cell.warnings != null) row.warning = (cell.warnings as string[])[0]!;
        }
        const byArch = summary[info.name] ?? {};
        summary[info.name] = byArch;
        const bySize = byArch[arch] ?? {};
        byArch[arch] = bySize;
        bySize[String(inputSize)] = row;
      }
    }
  }

  const cpuList = cpus();
  const result = {
    bench: 'train-throughput',
    startedAt,
    durationS: round((performance.now() - t0) / 1000, 1),
    machine: {
      cpus: availableParallelism(),
      model: cpuList[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      totalMemMB: mb(totalmem()),
      freeMemMB: mb(freemem()),
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: load(),
      tfjsCore: tf.version_core,
    },
    settings: {
      batch: BATCH,
      numClasses: NUM_CLASSES,
      labelSmoothing: LABEL_SMOOTHING,
      optimizer: 'AdamW via createOptimizer (betas/weight decay per arch, as the example configs)',
      gradClip: 0,
      warmupSteps: WARMUP,
      trainSecondsPerCell: TRAIN_S,
      inferSecondsPerMeasurement: INFER_S,
      minTimedRuns: MIN_STEPS,
      quick: QUICK,
      channels: { small_cnn: 1, mobilenetv4_conv_small: 3 },
      notes: [
        'train imgPerSec = batch / median step time; a step = trainStep (forward training:true, ' +
          'smoothed CE, tf.variableGrads, AdamW) + reading loss/correct/gradNorm back',
        'inference = model.apply(x, {training:false}) + softmax + read back (as runInference)',
        'fixed random input batch: no data pipeline cost',
      ],
    },
    backends: {
      measured: backends.map((b) => ({ name: b.name, threads: b.threads, reason: b.reason })),
      unavailable,
    },
    reference: {
      source: 'the issue this bench was written for',
      pytorchCpu: {
        framework: 'PyTorch 1.13, CPU',
        arch: 'mobilenetv4_conv_small',
        inputSize: 64,
        batch: 64,
        threads: 2,
        trainImgPerSec: 190,
        note: 'another CPU model than this machine: compare in one run (bench/side-by-side.bench.ts)',
      },
      tfjsWasmNaiveGradients: {
        framework: 'tfjs wasm with naive composite gradient kernels',
        arch: 'mobilenetv4_conv_small',
        inputSize: 64,
        batch: 64,
        trainImgPerSec: 17,
      },
    },
    summary,
    cells,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (failures > 0) process.exitCode = 1;
}

await main();
