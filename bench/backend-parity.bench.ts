/**
 * Backend parity: does a backend train exactly like tfjs' reference `cpu` backend? For each
 * architecture, trains a few AdamW steps on one seeded batch on the tested backend, then the same
 * steps on `cpu` from the same initial weights, and compares step by step: logits, loss, every
 * gradient, and every weight after the optimizer's update (max |Δ| relative to the tensor's scale,
 * with a floor of 1e-4 of the largest gradient for gradients that are zero in exact arithmetic).
 * A divergence therefore shows at the first step and in the first tensor where it happens. This is
 * the GPU check for WebGPU and native TensorFlow, and a cross-check of the WASM kernels on whole
 * models.
 *
 *   npx jiti bench/backend-parity.bench.ts [--backend wasm] [--arch small_cnn,...] [--batch 8]
 *     [--steps 5]
 *
 * --backend X   the backend under test (default: `auto`, i.e. the fastest present)
 * --arch X      architectures (default: small_cnn@28, fast_cnn@28, mobilenetv4_conv_small@64)
 * --batch N     batch size (default 8; cpu's gradients are slow)
 * --steps N     training steps compared (default 4)
 * --lr X        AdamW learning rate (default 5e-4: small enough that the trajectory is not chaotic)
 *
 * Prints one JSON object on stdout; progress goes to stderr. `ok` is true when the first step's
 * logits and gradients agree within 1e-3, the loss of every step within 1e-2, and the loss fell.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BackendPreference, selectBackend } from '../packages/plugin-tfjs/src/backend/select-backend.js';
import { buildModel } from '../packages/plugin-tfjs/src/models/index.js';
import { createOptimizer } from '../packages/plugin-tfjs/src/train/create-optimizer.js';
import { softmaxCrossEntropy } from '../packages/plugin-tfjs/src/train/loss.js';
import { trainableVariables } from '../packages/plugin-tfjs/src/train/model-variables.js';
import { flag } from './lib/flags.js';

const BACKEND = (flag('backend') ?? 'auto') as BackendPreference;
const BATCH = Number(flag('batch') ?? 8);
const STEPS = Number(flag('steps') ?? 4);
const LR = Number(flag('lr') ?? 5e-4);
const TOLERANCE = 1e-3;
const NUM_CLASSES = 10;
const DEFAULT_CELLS = [
  { arch: 'small_cnn', size: 28, channels: 1 },
  { arch: 'fast_cnn', size: 28, channels: 1 },
  { arch: 'mobilenetv4_conv_small', size: 64, channels: 3 },
];
const wantArchs = flag('arch')?.split(',');
const CELLS = wantArchs ? DEFAULT_CELLS.filter((c) => wantArchs.includes(c.arch)) : DEFAULT_CELLS;

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
const round = (v: number, digits = 6): number => Number(v.toPrecision(digits));

/** A deterministic batch (a linear congruential generator, identical on every backend). */
function seededBatch(n: number, size: number, channels: number): { x: Float32Array; y: Int32Array } {
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const x = Float32Array.from({ length: n * size * size * channels }, () => next() * 2 - 1);
  const y = Int32Array.from({ length: n }, (_, i) => i % NUM_CLASSES);
  return { x, y };
}

/** What one training step computed, read back to the host. */
interface StepRecord {
  /** Logits of the forward pass (before the update). */
  logits: Float32Array;
  /** Loss before the update. */
  loss: number;
  /** Gradients in the order of `trainableVariables(model)` (names differ between models). */
  grads: Float32Array[];
  /** The trainable weights after the optimizer's update, same order. */
  weights: Float32Array[];
}

/**
 * Trains `steps` AdamW steps on one backend from the given initial weights, on the fixed batch,
 * and records each step. Reads back with the async `data()`: WebGPU's synchronous readback needs
 * an OffscreenCanvas, which Node does not have.
 */
async function trajectory(
  backend: string,
  arch: string,
  options: Parameters<typeof buildModel>[1],
  initial: { shape: number[]; values: Float32Array }[] | undefined,
  batch: { x: Float32Array; y: Int32Array; shape: [number, number, number, number] },
  steps: number,
): Promise<{
  records: StepRecord[];
  initial: { shape: number[]; values: Float32Array }[];
  msPerStep: number;
}> {
  await tf.setBackend(backend);
  const model = buildModel(arch, options);
  if (initial) model.setWeights(initial.map((w) => tf.tensor(w.values, w.shape)));
  const start = await Promise.all(
    model
      .getWeights()
      .map(async (w) => ({ shape: w.shape, values: (await w.data()).slice() as Float32Array })),
  );
  const params = trainableVariables(model);
  const optimizer = createOptimizer(
    { optimizer: 'adamw', betas: [0.9, 0.999], weightDecay: 0.01, momentum: 0.9 },
    params,
    LR,
  );
  const x = tf.tensor4d(batch.x, batch.shape);
  const y = tf.tensor1d(batch.y, 'int32');
  const records: StepRecord[] = [];
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) {
    let logits: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = model.apply(x, { training: true }) as tf.Tensor;
      logits = tf.keep(out.clone());
      return softmaxCrossEntropy(out, y, 0.1) as tf.Scalar;
    }, params as tf.Variable[]);
    const ordered = params.map((p) => grads[p.name]!);
    const gradValues = await Promise.all(ordered.map(async (g) => (await g.data()) as Float32Array));
    optimizer.applyGradients(grads);
    records.push({
      logits: (await logits!.data()) as Float32Array,
      loss: (await value.data())[0]!,
      grads: gradValues,
      weights: await Promise.all(params.map(async (p) => (await p.data()).slice() as Float32Array)),
    });
    tf.dispose([value, logits!, ...ordered]);
  }
  const msPerStep = (performance.now() - t0) / steps;
  tf.dispose([x, y]);
  model.dispose();
  return { records, initial: start, msPerStep };
}

/** max |b| of a tensor. */
function maxAbs(values: Float32Array): number {
  let scale = 0;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  return scale;
}

/**
 * max |a − b| / max(|b|, floor): error relative to the reference tensor's scale. The floor matters
 * for gradients that are zero in exact arithmetic (the shift of a BatchNorm followed by a linear
 * layer and another BatchNorm in training mode cancels), where both backends return rounding noise.
 */
function relativeError(a: Float32Array, b: Float32Array, floor = 1e-12): number {
  let maxDiff = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return maxDiff / scale;
}

/** Worst relative error over a list of tensors (floor: 1e-4 of the largest magnitude in the list). */
function worstOf(
  tested: Float32Array[],
  expected: Float32Array[],
  names: string[],
  skip: ReadonlySet<number> = new Set(),
): { name: string; error: number } {
  const floor = 1e-4 * Math.max(...expected.map(maxAbs));
  let worst = { name: '', error: 0 };
  expected.forEach((values, i) => {
    if (skip.has(i)) return;
    const error = relativeError(tested[i]!, values, floor);
    if (error > worst.error) worst = { name: names[i]!, error };
  });
  return worst;
}

async function runCell(
  backend: string,
  cell: (typeof DEFAULT_CELLS)[number],
): Promise<Record<string, unknown>> {
  const { arch, size, channels } = cell;
  const options = { numClasses: NUM_CLASSES, inputSize: size, inputChannels: channels, dropout: 0, seed: 7 };
  const batch = {
    ...seededBatch(BATCH, size, channels),
    shape: [BATCH, size, size, channels] as [number, number, number, number],
  };

  // The same training, step for step, on the tested backend and on cpu from the same weights.
  const tested = await trajectory(backend, arch, options, undefined, batch, STEPS);
  await tf.setBackend(backend);
  const names = trainableVariables(buildModel(arch, options)).map((v) => v.name);
  const expected = await trajectory('cpu', arch, options, tested.initial, batch, STEPS);

  // Parameters whose gradient is zero in exact arithmetic (a BatchNorm shift feeding a linear layer
  // and another BatchNorm) get rounding noise as gradient, and Adam turns any noise into a full
  // ±lr step whose sign differs between backends: their weights are not compared.
  const firstGrads = expected.records[0]!.grads;
  const gradScale = Math.max(...firstGrads.map(maxAbs));
  const zeroGradient = new Set(firstGrads.flatMap((g, i) => (maxAbs(g) < 1e-4 * gradScale ? [i] : [])));
  const steps = expected.records.map((reference, step) => {
    const record = tested.records[step]!;
    const grad = worstOf(record.grads, reference.grads, names);
    const weight = worstOf(record.weights, reference.weights, names, zeroGradient);
    return {
      step: step + 1,
      loss: round(record.loss, 5),
      cpuLoss: round(reference.loss, 5),
      logitsRelError: round(relativeError(record.logits, reference.logits), 3),
      worstGradient: { name: grad.name, relError: round(grad.error, 3) },
      worstWeightAfterUpdate: { name: weight.name, relError: round(weight.error, 3) },
    };
  });
  // The first step's gradients come from identical weights: the kernels' own error. Later steps
  // carry Adam's amplified rounding noise (any element whose gradient is tiny moves by a full ±lr,
  // in a direction rounding decides), so weights are reported, not judged; the loss trajectory is
  // judged with a looser bound.
  const first = steps[0]!;
  const agrees =
    first.logitsRelError <= TOLERANCE &&
    first.worstGradient.relError <= TOLERANCE &&
    steps.every((s) => Math.abs(s.loss - s.cpuLoss) <= 10 * TOLERANCE * Math.abs(s.cpuLoss));
  const losses = steps.map((s) => s.loss);
  const learns = losses.at(-1)! < losses[0]!;
  log(`${arch}@${size}: ${agrees ? 'agrees' : 'DIFFERS'}, ${learns ? 'learns' : 'does NOT learn'}`);
  for (const s of steps) {
    log(
      `  step ${s.step}: loss ${s.loss} (cpu ${s.cpuLoss}), logits ${s.logitsRelError}, grad ${s.worstGradient.name} ${s.worstGradient.relError}, weights ${s.worstWeightAfterUpdate.name} ${s.worstWeightAfterUpdate.relError}`,
    );
  }
  return {
    arch,
    inputSize: size,
    batch: BATCH,
    variables: names.length,
    zeroGradientVariables: [...zeroGradient].map((i) => names[i]),
    msPerStep: { tested: Math.round(tested.msPerStep), cpu: Math.round(expected.msPerStep) },
    steps,
    agrees,
    learns,
  };
}

const info = await selectBackend(BACKEND, log);
const cells: Record<string, unknown>[] = [];
for (const cell of CELLS) cells.push(await runCell(info.name, cell));
const ok = cells.every((c) => c.agrees === true && c.learns === true);
process.stdout.write(
  `${JSON.stringify({ backend: info.name, reason: info.reason, tolerance: TOLERANCE, ok, cells }, null, 2)}\n`,
);
process.exitCode = ok ? 0 : 1;
