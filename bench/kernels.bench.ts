/**
 * Benchmarks the wasm training kernels (packages/plugin-tfjs/src/backend/wasm-kernels) at
 * MobileNetV4-Conv-Small shapes (batch 64, 64 px input) and at dense-layer / max-pool shapes, a full
 * MobileNetV4-Conv-Small train step on the wasm backend, with and without them, and a `small_cnn`
 * train step (28x28x1, batch 128, the project's `trainStep` + AdamW) with and without the dense /
 * pooling kernels (`BatchMatMul`, `_FusedMatMul`, `MaxPoolGrad`).
 *
 *   npx jiti bench/kernels.bench.ts [--quick] [--profile] [--baseline] [--cpu] [--no-kernels]
 *                                   [--no-mobilenet] [--no-small-cnn]
 *
 * --quick         fewer repetitions and train steps
 * --no-kernels    skip the per-kernel timings (train steps only)
 * --no-mobilenet  skip the MobileNetV4 train step
 * --no-small-cnn  skip the small_cnn train steps
 * --profile       also report where the train steps spend their time, per kernel
 * --baseline      also time a MobileNetV4 train step with only the three missing gradient kernels
 *                 added to the stock wasm backend (none of the faster replacements; seconds per step)
 * --cpu           also time the cpu backend's kernels at the same shapes (slow)
 *
 * Set BENCH_LOCAL_MODEL=1 to use the bench's own MobileNetV4 copy instead of the model zoo's.
 *
 * Prints one JSON object on stdout; progress goes to stderr. Timings are wall-clock on whatever
 * else the machine is running: compare numbers from the same run.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '../packages/plugin-tfjs/src/backend/select-backend.js';
import { MISSING_KERNELS } from '../packages/plugin-tfjs/src/backend/wasm-kernels/index.js';
import { buildModel as buildZooModel } from '../packages/plugin-tfjs/src/models/index.js';
import { createOptimizer } from '../packages/plugin-tfjs/src/train/create-optimizer.js';
import { trainableVariables } from '../packages/plugin-tfjs/src/train/model-variables.js';
import {
  trainStep as projectTrainStep,
  type TrainStepContext,
} from '../packages/plugin-tfjs/src/train/train-step.js';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const PROFILE = args.has('--profile');
const BASELINE = args.has('--baseline');
const WITH_CPU = args.has('--cpu');
const KERNELS = !args.has('--no-kernels');
const MOBILENET = !args.has('--no-mobilenet');
const SMALL_CNN = !args.has('--no-small-cnn');
const BATCH = 64;
const SIZE = 64;
const NUM_CLASSES = 10;
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
const round = (v: number): number => Math.round(v * 100) / 100;

type Shape4 = [number, number, number, number];

/** One kernel invocation at a given shape. */
interface KernelCase {
  label: string;
  kernel: string;
  inputs: Record<string, number[]>;
  attrs: Record<string, unknown>;
  /** Multiply-accumulates, for GMAC/s (0 for data movement). */
  macs: number;
}

/** Conv2D cases: [label, input size, kernel, stride, cin, cout] (inputs as MobileNetV4 sees them). */
const CONVS: [string, number, number, number, number, number][] = [
  ['stem 3x3/2 3->32 @64', 64, 3, 2, 3, 32],
  ['s0 3x3/2 32->32 @32', 32, 3, 2, 32, 32],
  ['s0 1x1 32->32 @16', 16, 1, 1, 32, 32],
  ['s1 3x3/2 32->96 @16', 16, 3, 2, 32, 96],
  ['s1 1x1 96->64 @8', 8, 1, 1, 96, 64],
  ['s2 1x1 96->192 @4', 4, 1, 1, 96, 192],
  ['s3 1x1 128->512 @2', 2, 1, 1, 128, 512],
  ['head 1x1 960->1280 @1', 1, 1, 1, 960, 1280],
];

/** Depthwise cases: [label, input size, kernel, stride, channels]. */
const DEPTHWISE: [string, number, number, number, number][] = [
  ['s2 dw5/2 192 @8', 8, 5, 2, 192],
  ['s2 dw3/1 192 @4', 4, 3, 1, 192],
  ['s3 dw3/2 576 @4', 4, 3, 2, 576],
  ['s3 dw5/1 512 @2', 2, 5, 1, 512],
];

/** Stock kernels this package replaces, at shapes from a MobileNetV4 train step. */
const REPLACED: KernelCase[] = [
  {
    label: '[1,1,1,32] -> [64,32,32,32]',
    kernel: 'Tile',
    inputs: { x: [1, 1, 1, 32] },
    attrs: { reps: [64, 32, 32, 1] },
    macs: 0,
  },
  {
    label: '[64,32,32,32] over [0,1,2]',
    kernel: 'Sum',
    inputs: { x: [64, 32, 32, 32] },
    attrs: { axis: [0, 1, 2], keepDims: false },
    macs: 0,
  },
  {
    label: '[64,4,4,192] over [0,1,2]',
    kernel: 'Mean',
    inputs: { x: [64, 4, 4, 192] },
    attrs: { axis: [0, 1, 2], keepDims: false },
    macs: 0,
  },
  {
    label: '[64,32,32,32] per-channel',
    kernel: 'FusedBatchNorm',
    inputs: { x: [64, 32, 32, 32], mean: [32], variance: [32], offset: [32], scale: [32] },
    attrs: { varianceEpsilon: 1e-3 },
    macs: 0,
  },
  {
    label: '[64,34,34,32] -> [64,32,32,32]',
    kernel: 'Slice',
    inputs: { x: [64, 34, 34, 32] },
    attrs: { begin: [0, 1, 1, 0], size: [64, 32, 32, 32] },
    macs: 0,
  },
  {
    label: '[64,64,64,3] +1 each side',
    kernel: 'PadV2',
    inputs: { x: [64, 64, 64, 3] },
    attrs: {
      paddings: [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
      constantValue: 0,
    },
    macs: 0,
  },
  { label: '[64,32,32,32]', kernel: 'Identity', inputs: { x: [64, 32, 32, 32] }, attrs: {}, macs: 0 },
  {
    label: '[64,32,32,32] float32 -> float32',
    kernel: 'Cast',
    inputs: { x: [64, 32, 32, 32] },
    attrs: { dtype: 'float32' },
    macs: 0,
  },
];

/**
 * Dense-layer products with a transposed operand (the backward pass of `tf.layers.dense`: dW = xᵀ·dy,
 * dx = dy·Wᵀ) and max-pool gradients, at a wide dense layer's shapes and at `small_cnn`'s (batch 128).
 */
const DENSE_AND_POOL: KernelCase[] = [
  {
    label: 'dW = xT.dy, x [64,16384], dy [64,128]',
    kernel: 'BatchMatMul',
    inputs: { a: [64, 16384], b: [64, 128] },
    attrs: { transposeA: true, transposeB: false },
    macs: 64 * 16384 * 128,
  },
  {
    label: 'dx = dy.WT, dy [64,128], W [16384,128]',
    kernel: 'BatchMatMul',
    inputs: { a: [64, 128], b: [16384, 128] },
    attrs: { transposeA: false, transposeB: true },
    macs: 64 * 16384 * 128,
  },
  {
    label: 'small_cnn dense1 dW: x [1,128,3136], dy [1,128,128]',
    kernel: 'BatchMatMul',
    inputs: { a: [1, 128, 3136], b: [1, 128, 128] },
    attrs: { transposeA: true, transposeB: false },
    macs: 128 * 3136 * 128,
  },
  {
    label: 'small_cnn dense1 dx: dy [1,128,128], W [1,3136,128]',
    kernel: 'BatchMatMul',
    inputs: { a: [1, 128, 128], b: [1, 3136, 128] },
    attrs: { transposeA: false, transposeB: true },
    macs: 128 * 3136 * 128,
  },
  {
    label: 'small_cnn dense2 dW: x [1,128,128], dy [1,128,10]',
    kernel: 'BatchMatMul',
    inputs: { a: [1, 128, 128], b: [1, 128, 10] },
    attrs: { transposeA: true, transposeB: false },
    macs: 128 * 128 * 10,
  },
  {
    label: 'batched [16,64,96]T.[16,64,80]',
    kernel: 'BatchMatMul',
    inputs: { a: [16, 64, 96], b: [16, 64, 80] },
    attrs: { transposeA: true, transposeB: false },
    macs: 16 * 64 * 96 * 80,
  },
  {
    label: 'untransposed (stock) [1,128,3136].[1,3136,128]',
    kernel: 'BatchMatMul',
    inputs: { a: [1, 128, 3136], b: [1, 3136, 128] },
    attrs: { transposeA: false, transposeB: false },
    macs: 128 * 3136 * 128,
  },
  {
    label: 'xT.W + bias, relu, x [1,3136,128], W [1,3136,128]',
    kernel: '_FusedMatMul',
    inputs: { a: [1, 3136, 128], b: [1, 3136, 128], bias: [128] },
    attrs: { transposeA: true, transposeB: false, activation: 'relu' },
    macs: 128 * 3136 * 128,
  },
  {
    label: '2x2/2 valid [64,28,28,32]',
    kernel: 'MaxPoolGrad',
    inputs: { dy: [64, 14, 14, 32], input: [64, 28, 28, 32], output: [64, 14, 14, 32] },
    attrs: { filterSize: 2, strides: 2, pad: 'valid' },
    macs: 0,
  },
  {
    label: 'small_cnn pool1 2x2/2 valid [128,28,28,32]',
    kernel: 'MaxPoolGrad',
    inputs: { dy: [128, 14, 14, 32], input: [128, 28, 28, 32], output: [128, 14, 14, 32] },
    attrs: { filterSize: 2, strides: 2, pad: 'valid' },
    macs: 0,
  },
  {
    label: 'small_cnn pool2 2x2/2 valid [128,14,14,64]',
    kernel: 'MaxPoolGrad',
    inputs: { dy: [128, 7, 7, 64], input: [128, 14, 14, 64], output: [128, 7, 7, 64] },
    attrs: { filterSize: 2, strides: 2, pad: 'valid' },
    macs: 0,
  },
  {
    label: '3x3/2 same [64,32,32,32]',
    kernel: 'MaxPoolGrad',
    inputs: { dy: [64, 16, 16, 32], input: [64, 32, 32, 32], output: [64, 16, 16, 32] },
    attrs: { filterSize: 3, strides: 2, pad: 'same' },
    macs: 0,
  },
];

/** Kernels whose stock versions the small_cnn comparison step swaps back in. */
const DENSE_AND_POOL_KERNELS = ['BatchMatMul', '_FusedMatMul', 'MaxPoolGrad'];

function gradientCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  for (const [label, size, k, s, cin, cout] of CONVS) {
    const o = Math.ceil(size / s);
    const x: Shape4 = [BATCH, size, size, cin];
    const dy: Shape4 = [BATCH, o, o, cout];
    const macs = BATCH * o * o * k * k * cin * cout;
    const common = { strides: s, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
    const filterShape = [k, k, cin, cout];
    cases.push({ label, kernel: 'Conv2D', inputs: { x, filter: filterShape }, attrs: common, macs });
    cases.push({
      label,
      kernel: 'Conv2DBackpropFilter',
      inputs: { x, dy },
      attrs: { ...common, filterShape },
      macs,
    });
    cases.push({
      label,
      kernel: 'Conv2DBackpropInput',
      inputs: { dy, filter: filterShape },
      attrs: { ...common, inputShape: x },
      macs,
    });
  }
  for (const [label, size, k, s, c] of DEPTHWISE) {
    const o = Math.ceil(size / s);
    const x: Shape4 = [BATCH, size, size, c];
    const dy: Shape4 = [BATCH, o, o, c];
    const macs = BATCH * o * o * k * k * c;
    const common = { strides: s, pad: 'same', dilations: 1 };
    const filterShape = [k, k, c, 1];
    cases.push({
      label,
      kernel: 'DepthwiseConv2dNative',
      inputs: { x, filter: filterShape },
      attrs: common,
      macs,
    });
    cases.push({
      label,
      kernel: 'DepthwiseConv2dNativeBackpropFilter',
      inputs: { x, dy },
      attrs: { ...common, filterShape },
      macs,
    });
    cases.push({
      label,
      kernel: 'DepthwiseConv2dNativeBackpropInput',
      inputs: { dy, filter: filterShape },
      attrs: { ...common, inputShape: x },
      macs,
    });
  }
  return cases;
}

/** Median ms per call of a kernel on `backendName` (its registered one, or `config`). */
async function timeKernel(
  backendName: string,
  c: KernelCase,
  reps: number,
  config?: tf.KernelConfig,
): Promise<number> {
  await tf.setBackend(backendName);
  const inputs: Record<string, tf.Tensor> = {};
  for (const [k, shape] of Object.entries(c.inputs)) {
    // Variances must be positive; everything else is standard normal.
    inputs[k] = k === 'variance' ? tf.add(tf.abs(tf.randomNormal(shape)), 0.1) : tf.randomNormal(shape);
  }
  const backend = tf.backend();
  const kernel = config ?? tf.getKernel(c.kernel, backendName);
  const once = (): number => {
    const t0 = performance.now();
    const out = kernel.kernelFunc({ inputs, backend, attrs: c.attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    const ms = performance.now() - t0;
    backend.disposeData(out.dataId);
    return ms;
  };
  // Warm up: V8 optimises the JS glue only after several calls (the first ones are 2-4x slower).
  // Kernels slow enough for that not to matter (the stock transposed products) warm up for ~1 s.
  for (let i = 0, spent = 0; i < 8 && spent < 1000; i++) spent += once();
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  tf.dispose(Object.values(inputs));
  return times[Math.floor(times.length / 2)]!;
}

/** MobileNetV4-Conv-Small from the repo's model zoo, or the bench's own copy if it does not load. */
async function buildModel(): Promise<{ model: tfl.LayersModel; source: string }> {
  try {
    if (process.env.BENCH_LOCAL_MODEL) throw new Error('BENCH_LOCAL_MODEL is set');
    const mod = (await import('../packages/plugin-tfjs/src/models/mobilenetv4.js')) as {
      buildMobileNetV4ConvSmall(opts: {
        numClasses: number;
        inputSize: number;
        inputChannels: number;
      }): tfl.LayersModel;
    };
    const model = mod.buildMobileNetV4ConvSmall({
      numClasses: NUM_CLASSES,
      inputSize: SIZE,
      inputChannels: 3,
    });
    return { model, source: 'packages/plugin-tfjs/src/models/mobilenetv4.ts' };
  } catch (err) {
    log(`repo MobileNetV4 builder unavailable (${(err as Error).message}); using the bench's copy`);
  }
  return { model: localMobileNetV4Small(), source: 'bench/kernels.bench.ts (local MobileNetV4-Conv-Small)' };
}

/** Self-contained MobileNetV4-Conv-Small (timm layout, 'same' padding, logits out). */
function localMobileNetV4Small(): tfl.LayersModel {
  const L = tfl.layers;
  type T = tfl.SymbolicTensor;
  const apply = (layer: { apply(x: T | T[]): unknown }, x: T | T[]): T => layer.apply(x) as T;
  const bnAct = (x: T, act: boolean): T => {
    const y = apply(L.batchNormalization({ epsilon: 1e-5 }), x);
    return act ? apply(L.reLU(), y) : y;
  };
  const conv = (x: T, filters: number, k: number, s: number, act = true): T =>
    bnAct(apply(L.conv2d({ filters, kernelSize: k, strides: s, padding: 'same', useBias: false }), x), act);
  const dw = (x: T, k: number, s: number, act: boolean): T =>
    bnAct(apply(L.depthwiseConv2d({ kernelSize: k, strides: s, padding: 'same', useBias: false }), x), act);
  // Universal inverted residual: [dw a] -> 1x1 expand -> [dw k] -> 1x1 project (+ skip).
  const uir = (x: T, a: number, k: number, s: number, e: number, c: number): T => {
    const inC = x.shape[3] as number;
    let y = a > 0 ? dw(x, a, k > 0 ? 1 : s, false) : x;
    y = conv(y, Math.round((inC * e) / 8) * 8, 1, 1);
    if (k > 0) y = dw(y, k, s, true);
    y = conv(y, c, 1, 1, false);
    return s === 1 && inC === c ? apply(L.add(), [x, y]) : y;
  };
  const input = tfl.input({ shape: [SIZE, SIZE, 3] });
  let x = conv(input, 32, 3, 2);
  x = conv(conv(x, 32, 3, 2), 32, 1, 1);
  x = conv(conv(x, 96, 3, 2), 64, 1, 1);
  x = uir(x, 5, 5, 2, 3, 96);
  for (let i = 0; i < 4; i++) x = uir(x, 0, 3, 1, 2, 96);
  x = uir(x, 3, 0, 1, 4, 96);
  x = uir(x, 3, 3, 2, 6, 128);
  x = uir(x, 5, 5, 1, 4, 128);
  x = uir(x, 0, 5, 1, 4, 128);
  x = uir(x, 0, 5, 1, 3, 128);
  x = uir(uir(x, 0, 3, 1, 4, 128), 0, 3, 1, 4, 128);
  x = conv(x, 960, 1, 1);
  x = apply(L.reshape({ targetShape: [1, 1, 960] }), apply(L.globalAveragePooling2d({}), x));
  x = apply(L.flatten(), conv(x, 1280, 1, 1));
  x = apply(L.dense({ units: NUM_CLASSES }), apply(L.dropout({ rate: 0.2 }), x));
  return tfl.model({ inputs: input, outputs: x });
}

/** Wraps every wasm kernel with a timer (outermost calls only); returns a reader for the totals. */
function instrumentKernels(): () => [string, number, number][] {
  const totals = new Map<string, [number, number]>();
  let depth = 0;
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc;
    const name = config.kernelName;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (a) => {
        const t0 = performance.now();
        depth++;
        try {
          return inner(a);
        } finally {
          depth--;
          if (depth === 0) {
            const entry = totals.get(name) ?? [0, 0];
            entry[0] += performance.now() - t0;
            entry[1]++;
            totals.set(name, entry);
          }
        }
      },
    });
  }
  return () => [...totals.entries()].map(([k, [ms, n]]) => [k, ms, n] as [string, number, number]);
}

/** img/s of `steps` MobileNetV4 train steps (Adam, softmax cross-entropy) on the active backend. */
async function trainStep(steps: number, profile: boolean): Promise<Record<string, unknown>> {
  const { model, source } = await buildModel();
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  const xs = tf.randomNormal([BATCH, SIZE, SIZE, 3]);
  const labels = tf.tensor1d(
    Array.from({ length: BATCH }, (_, i) => i % NUM_CLASSES),
    'int32',
  );
  const ys = tf.oneHot(labels, NUM_CLASSES);
  log(`train step on ${tf.getBackend()}: ${source}, ${model.countParams()} params`);
  for (let i = 0; i < 2; i++) await model.trainOnBatch(xs, ys);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await model.trainOnBatch(xs, ys);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)]!;
  const result: Record<string, unknown> = {
    model: source,
    params: model.countParams(),
    medianMsPerStep: round(ms),
    imgPerSec: round((BATCH * 1000) / ms),
    stepsMs: times.map(round),
  };
  if (profile) {
    const read = instrumentKernels();
    const n = QUICK ? 1 : 3;
    const p0 = performance.now();
    for (let i = 0; i < n; i++) await model.trainOnBatch(xs, ys);
    const total = (performance.now() - p0) / n;
    const rows = read().sort((a, b) => b[1] - a[1]);
    const inKernels = rows.reduce((s, r) => s + r[1], 0) / n;
    result.profile = {
      msPerStep: round(total),
      msInKernels: round(inKernels),
      topKernels: rows
        .slice(0, 20)
        .map(([k, t, calls]) => ({ kernel: k, msPerStep: round(t / n), callsPerStep: calls / n })),
    };
  }
  tf.dispose([xs, ys, labels]);
  model.dispose();
  return result;
}

/** Registers `configs` for wasm (replacing what is there); returns the configs they replaced. */
function swapKernels(configs: tf.KernelConfig[]): tf.KernelConfig[] {
  const previous: tf.KernelConfig[] = [];
  for (const config of configs) {
    previous.push(tf.getKernel(config.kernelName, 'wasm'));
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  return previous;
}

/** Median and spread of step times, as img/s at `batch`. */
function stepStats(times: number[], batch: number): Record<string, unknown> {
  const sorted = [...times].sort((x, y) => x - y);
  const ms = sorted[Math.floor(sorted.length / 2)]!;
  return {
    medianMsPerStep: round(ms),
    imgPerSec: round((batch * 1000) / ms),
    bestImgPerSec: round((batch * 1000) / sorted[0]!),
    stepsMs: sorted.map(round),
  };
}

/** Kernel time per step by kernel name (top 12) over `n` steps, from `tf.profile`. */
async function profileSteps(step: () => Promise<void>, n: number): Promise<Record<string, unknown>[]> {
  const info = await tf.profile(async () => {
    for (let i = 0; i < n; i++) await step();
  });
  const totals = new Map<string, [number, number]>();
  for (const k of info.kernels) {
    const entry = totals.get(k.name) ?? [0, 0];
    entry[0] += Number(k.kernelTimeMs) || 0;
    entry[1]++;
    totals.set(k.name, entry);
  }
  return [...totals.entries()]
    .sort((x, y) => y[1][0] - x[1][0])
    .slice(0, 12)
    .map(([kernel, [t, calls]]) => ({ kernel, msPerStep: round(t / n), callsPerStep: calls / n }));
}

/**
 * img/s of `small_cnn` (conv32 ×2 → maxpool → conv64 ×2 → maxpool → dense 128 → dense 10) at
 * 28x28x1, batch 128, through the project's `trainStep` (forward with training: true, softmax
 * cross-entropy, variableGrads, AdamW update), reading back the step's scalars as the trainer does.
 * Steps alternate between this package's kernels and `alternative` (the stock versions of some of
 * them), so that both see the same machine load.
 */
async function smallCnnTrainSteps(
  steps: number,
  profile: boolean,
  alternative: tf.KernelConfig[],
): Promise<Record<string, unknown>> {
  const batch = 128;
  const model = buildZooModel('small_cnn', { numClasses: NUM_CLASSES, inputSize: 28, inputChannels: 1 });
  const params = trainableVariables(model);
  const optimizer = createOptimizer(
    { optimizer: 'adamw', betas: [0.9, 0.999], weightDecay: 0.05, momentum: 0.9 },
    params,
    1e-3,
  );
  const context: TrainStepContext = { model, params, optimizer, labelSmoothing: 0.1, gradClip: 0 };
  const xs = tf.randomNormal([batch, 28, 28, 1]);
  // trainStep takes int32 class indices.
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % NUM_CLASSES),
    'int32',
  );
  const step = async (): Promise<void> => {
    const r = projectTrainStep(context, xs, labels);
    await Promise.all([r.loss.data(), r.correct.data(), r.gradNorm.data()]);
    tf.dispose([r.loss, r.correct, r.gradNorm]);
  };
  /** Runs `fn` with the alternative kernels registered. */
  const withAlternative = async <T>(fn: () => Promise<T>): Promise<T> => {
    const restore = swapKernels(alternative);
    try {
      return await fn();
    } finally {
      swapKernels(restore);
    }
  };
  const timed = async (): Promise<number> => {
    const t0 = performance.now();
    await step();
    return performance.now() - t0;
  };
  for (let i = 0; i < 2; i++) {
    await step();
    await withAlternative(step);
  }
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < steps; i++) {
    ours.push(await timed());
    theirs.push(await withAlternative(timed));
  }
  const result: Record<string, unknown> = {
    params: model.countParams(),
    batch,
    withPackageKernels: stepStats(ours, batch),
    withStockDenseAndPoolKernels: {
      swapped: alternative.map((c) => c.kernelName),
      ...stepStats(theirs, batch),
    },
  };
  if (profile) {
    const n = QUICK ? 1 : 3;
    result.profileWithPackageKernels = await profileSteps(step, n);
    result.profileWithStockDenseAndPoolKernels = await withAlternative(() => profileSteps(step, n));
  }
  tf.dispose([xs, labels]);
  optimizer.dispose();
  model.dispose();
  return result;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  // Stock wasm kernels (registered on import) that get replaced, to compare against.
  const stock = new Map<string, tf.KernelConfig>();
  for (const name of [
    'Conv2DBackpropInput',
    ...REPLACED.map((c) => c.kernel),
    ...DENSE_AND_POOL.map((c) => c.kernel),
  ]) {
    stock.set(name, tf.getKernel(name, 'wasm'));
  }
  let baseline: Record<string, unknown> | null = null;
  if (BASELINE) {
    const require = createRequire(import.meta.url);
    setWasmPaths(
      `${path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}${path.sep}`,
    );
    for (const config of MISSING_KERNELS) tf.registerKernel(config);
    await tf.setBackend('wasm');
    baseline = {
      description: 'stock tfjs-backend-wasm 4.22 + only the 3 missing gradient kernels from this package',
      ...(await trainStep(QUICK ? 1 : 3, false)),
    };
  }
  const backend = await selectBackend('wasm');
  const reps = QUICK ? 3 : 7;
  const kernels: Record<string, unknown>[] = [];
  for (const c of KERNELS ? [...gradientCases(), ...REPLACED, ...DENSE_AND_POOL] : []) {
    const ms = await timeKernel('wasm', c, reps);
    const row: Record<string, unknown> = { kernel: c.kernel, shape: c.label, ms: round(ms) };
    if (c.macs > 0) row.gmacPerSec = round(c.macs / 1e6 / ms);
    const stockConfig = stock.get(c.kernel);
    if (stockConfig != null) row.stockWasmMs = round(await timeKernel('wasm', c, reps, stockConfig));
    if (WITH_CPU && c.kernel.includes('Backprop')) {
      row.cpuMs = round(await timeKernel('cpu', c, 1));
    }
    kernels.push(row);
    log(
      `${c.kernel} ${c.label}: ${round(ms)} ms${row.stockWasmMs != null ? ` (stock ${row.stockWasmMs} ms)` : ''}`,
    );
  }
  await tf.setBackend('wasm');
  let smallCnn: Record<string, unknown> | null = null;
  if (SMALL_CNN) {
    log('small_cnn train steps (wasm, batch 128, 28x28x1)');
    const alternative = DENSE_AND_POOL_KERNELS.map((k) => stock.get(k)).filter((c) => c != null);
    const steps = await smallCnnTrainSteps(QUICK ? 3 : 12, PROFILE, alternative);
    smallCnn = {
      description:
        'buildModel small_cnn, 28x28x1, batch 128, trainStep + AdamW (label smoothing 0.1); steps ' +
        'alternate between this package kernels and the stock BatchMatMul/_FusedMatMul/MaxPoolGrad',
      ...steps,
    };
    const img = (key: string): unknown => (steps[key] as Record<string, unknown>).imgPerSec;
    log(
      `small_cnn: ${img('withPackageKernels')} img/s (stock dense/pool: ${img('withStockDenseAndPoolKernels')})`,
    );
  }
  const train = MOBILENET ? await trainStep(QUICK ? 3 : 8, PROFILE) : null;
  const result = {
    backend: backend.name,
    threads: backend.threads,
    node: process.version,
    loadAverage: os.loadavg().map(round),
    batch: BATCH,
    inputSize: SIZE,
    note: 'kernel ms = median per call; stockWasmMs = the stock wasm kernel this package replaces',
    kernels,
    trainStep: train,
    baselineTrainStep: baseline,
    smallCnnTrainStep: smallCnn,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
