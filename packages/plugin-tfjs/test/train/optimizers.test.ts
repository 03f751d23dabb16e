import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW } from '../../src/train/adamw.js';
import { createOptimizer } from '../../src/train/create-optimizer.js';
import { SgdMomentum } from '../../src/train/sgd.js';
import { useCpuBackend } from './helpers.js';

beforeAll(async () => {
  await useCpuBackend();
});

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

function expectClose(actual: number[], expected: number[], digits = 6): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i]!, digits);
  });
}

/** PyTorch AdamW, written out by hand for one element. */
function adamwReference(
  w: number,
  grads: number[],
  opts: { lr: number; b1: number; b2: number; eps: number; wd: number },
): number {
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    w *= 1 - opts.lr * opts.wd;
    m = opts.b1 * m + (1 - opts.b1) * g;
    v = opts.b2 * v + (1 - opts.b2) * g * g;
    const mHat = m / (1 - opts.b1 ** t);
    const vHat = v / (1 - opts.b2 ** t);
    w -= (opts.lr * mHat) / (Math.sqrt(vHat) + opts.eps);
  });
  return w;
}

describe('AdamW', () => {
  it('matches a hand-computed first step: decoupled decay on matrices, none on biases', () => {
    const kernel = tf.variable(
      tf.tensor2d([
        [1, -2],
        [0.5, 3],
      ]),
    );
    const bias = tf.variable(tf.tensor1d([0.5, -1]));
    const optimizer = new AdamW([kernel, bias], { learningRate: 0.1, betas: [0.9, 0.999], weightDecay: 0.5 });
    optimizer.applyGradients({
      [kernel.name]: tf.tensor2d([
        [0.1, -0.2],
        [0.3, 0.4],
      ]),
      [bias.name]: tf.tensor1d([1, -1]),
    });
    // Step 1: m̂ = g, v̂ = g², so the Adam step is lr·sign(g); the kernel first shrinks by
    // (1 − lr·wd) = 0.95, the bias does not.
    expectClose(values(kernel), [0.95 - 0.1, -1.9 + 0.1, 0.475 - 0.1, 2.85 - 0.1]);
    expectClose(values(bias), [0.4, -0.9]);
    expect(optimizer.steps).toBe(1);
    optimizer.dispose();
    tf.dispose([kernel, bias]);
  });

  it('matches the PyTorch update rule over several steps (bias correction)', () => {
    const opts = { lr: 0.05, b1: 0.6, b2: 0.995, eps: 1e-8, wd: 0.06 };
    const kernel = tf.variable(tf.tensor2d([[0.3, -0.7]]));
    const optimizer = new AdamW([kernel], {
      learningRate: opts.lr,
      betas: [opts.b1, opts.b2],
      weightDecay: opts.wd,
    });
    const gradSequence = [
      [0.2, -0.05],
      [-0.1, 0.3],
      [0.05, 0.05],
    ];
    for (const g of gradSequence) optimizer.applyGradients({ [kernel.name]: tf.tensor2d([g]) });
    expectClose(values(kernel), [
      adamwReference(
        0.3,
        gradSequence.map((g) => g[0]!),
        opts,
      ),
      adamwReference(
        -0.7,
        gradSequence.map((g) => g[1]!),
        opts,
      ),
    ]);
    optimizer.dispose();
    kernel.dispose();
  });

  it('uses the learning rate set before each step', () => {
    const kernel = tf.variable(tf.tensor2d([[1]]));
    const optimizer = new AdamW([kernel], { learningRate: 0.1 });
    optimizer.learningRate = 0.01;
    optimizer.applyGradients({ [kernel.name]: tf.tensor2d([[1]]) });
    expectClose(values(kernel), [0.99]);
    optimizer.dispose();
    kernel.dispose();
  });

  it('exports and imports its state so a resumed optimizer continues identically', async () => {
    const make = () => tf.variable(tf.tensor2d([[0.5, -0.5]]));
    const a = make();
    const b = make();
    const first = new AdamW([a], { learningRate: 0.1, weightDecay: 0.1 });
    first.applyGradients({ [a.name]: tf.tensor2d([[0.3, -0.1]]) });
    first.applyGradients({ [a.name]: tf.tensor2d([[0.2, 0.4]]) });
    b.assign(a);
    const second = new AdamW([b], { learningRate: 0.1, weightDecay: 0.1 });
    second.setState(await first.getState());
    expect(second.steps).toBe(2);
    first.applyGradients({ [a.name]: tf.tensor2d([[-0.3, 0.1]]) });
    second.applyGradients({ [b.name]: tf.tensor2d([[-0.3, 0.1]]) });
    expect(values(b)).toEqual(values(a));
    first.dispose();
    second.dispose();
    tf.dispose([a, b]);
  });

  it('rejects a state of another shape and gradients of unknown variables', async () => {
    const a = tf.variable(tf.tensor2d([[1, 2]]));
    const c = tf.variable(tf.tensor2d([[1, 2, 3]]));
    const optimizerA = new AdamW([a], { learningRate: 0.1 });
    const optimizerC = new AdamW([c], { learningRate: 0.1 });
    expect(() => optimizerC.setState([])).toThrow(/step count/);
    const state = await optimizerA.getState();
    expect(() => optimizerC.setState(state)).toThrow(/shape/);
    expect(() => optimizerA.applyGradients({ nope: tf.scalar(1) })).toThrow(/unknown variable/);
    optimizerA.dispose();
    optimizerC.dispose();
    tf.dispose([a, c]);
  });

  it('does not leak tensors', () => {
    const kernel = tf.variable(tf.randomNormal([3, 3]));
    const optimizer = new AdamW([kernel], { learningRate: 0.1, weightDecay: 0.1 });
    const grad = tf.randomNormal([3, 3]);
    optimizer.applyGradients({ [kernel.name]: grad });
    const count = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) optimizer.applyGradients({ [kernel.name]: grad });
    expect(tf.memory().numTensors).toBe(count);
    optimizer.dispose();
    tf.dispose([kernel, grad]);
  });
});

describe('Adam', () => {
  it('adds L2 decay to the gradient instead of shrinking the weights', () => {
    const kernel = tf.variable(tf.tensor2d([[1, -1]]));
    const optimizer = new Adam([kernel], { learningRate: 0.1, weightDecay: 0.5 });
    // g' = g + 0.5·w = [0.6, -0.6] → first step lr·sign(g') with no multiplicative shrink.
    optimizer.applyGradients({ [kernel.name]: tf.tensor2d([[0.1, -0.1]]) });
    expectClose(values(kernel), [0.9, -0.9]);
    expect(optimizer.name).toBe('adam');
    optimizer.dispose();
    kernel.dispose();
  });
});

describe('SgdMomentum', () => {
  it('follows torch.optim.SGD with Nesterov momentum by default', () => {
    const kernel = tf.variable(tf.tensor2d([[1, 2]]));
    const optimizer = new SgdMomentum([kernel], { learningRate: 0.1, momentum: 0.9 });
    const g = () => ({ [kernel.name]: tf.tensor2d([[1, 1]]) });
    optimizer.applyGradients(g()); // b = 1, d = 1 + 0.9 = 1.9
    expectClose(values(kernel), [1 - 0.19, 2 - 0.19]);
    optimizer.applyGradients(g()); // b = 1.9, d = 1 + 1.71 = 2.71
    expectClose(values(kernel), [1 - 0.19 - 0.271, 2 - 0.19 - 0.271]);
    optimizer.dispose();
    kernel.dispose();
  });

  it('supports plain momentum and L2 decay on matrices only', () => {
    const kernel = tf.variable(tf.tensor2d([[1]]));
    const bias = tf.variable(tf.tensor1d([1]));
    const optimizer = new SgdMomentum([kernel, bias], {
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: false,
      weightDecay: 1,
    });
    optimizer.applyGradients({ [kernel.name]: tf.tensor2d([[1]]), [bias.name]: tf.tensor1d([1]) });
    expectClose(values(kernel), [1 - 0.1 * 2]);
    expectClose(values(bias), [1 - 0.1]);
    optimizer.dispose();
    tf.dispose([kernel, bias]);
  });
});

describe('createOptimizer', () => {
  it('builds the configured optimizer', () => {
    const kernel = tf.variable(tf.tensor2d([[1]]));
    const config = { betas: [0.9, 0.999] as [number, number], weightDecay: 0, momentum: 0.9 };
    const made = (['adamw', 'adam', 'sgd'] as const).map((optimizer) =>
      createOptimizer({ ...config, optimizer }, [kernel], 0.1),
    );
    expect(made.map((o) => o.name)).toEqual(['adamw', 'adam', 'sgd']);
    expect(made[0]).toBeInstanceOf(AdamW);
    expect(made[2]).toBeInstanceOf(SgdMomentum);
    for (const o of made) o.dispose();
    expect(() => createOptimizer({ ...config, optimizer: 'lamb' as 'adam' }, [kernel], 0.1)).toThrow(
      /Unknown optimizer/,
    );
    kernel.dispose();
  });
});

describe('per-parameter state (parameters that start training late, e.g. unfrozen)', () => {
  it('gives a parameter its own step count: its first update is a clean, bias-corrected step 1', async () => {
    const early = tf.variable(tf.tensor2d([[1]]));
    const late = tf.variable(tf.tensor2d([[1, -1]]));
    const optimizer = new AdamW([early, late], { learningRate: 0.1, weightDecay: 0.5 });
    for (let i = 0; i < 5; i++) optimizer.applyGradients({ [early.name]: tf.tensor2d([[0.3]]) });
    // Frozen so far: untouched by the update and by the weight decay, no state yet.
    expectClose(values(late), [1, -1]);
    expect(optimizer.steps).toBe(5);
    expect(optimizer.parameterSteps(1)).toBe(0);
    optimizer.applyGradients({ [early.name]: tf.tensor2d([[0.3]]), [late.name]: tf.tensor2d([[0.02, -4]]) });
    // Step 1 of `late`: m̂ = g, v̂ = g², so exactly lr·sign(g) after the (1 − lr·wd) shrink —
    // with the optimizer's step 6 instead, the uncorrected moments would give ~3× that.
    expectClose(values(late), [0.95 - 0.1, -0.95 + 0.1]);
    expect(optimizer.parameterSteps(0)).toBe(6);
    expect(optimizer.parameterSteps(1)).toBe(1);

    // The per-parameter counts survive a state roundtrip; a state without them (older files)
    // gives every parameter the optimizer's count.
    const state = await optimizer.getState();
    const restored = new AdamW([early, late], { learningRate: 0.1 });
    restored.setState(state);
    expect([restored.parameterSteps(0), restored.parameterSteps(1)]).toEqual([6, 1]);
    restored.setState(state.filter((a) => a.name !== 'param_steps'));
    expect([restored.parameterSteps(0), restored.parameterSteps(1)]).toEqual([6, 6]);
    optimizer.dispose();
    restored.dispose();
    tf.dispose([early, late]);
  });
});

describe('learning-rate scales (layer-wise decay)', () => {
  it('scale AdamW steps and decoupled decay per parameter, keeping biases undecayed', () => {
    const kernel = tf.variable(tf.tensor2d([[1, -1]]));
    const bias = tf.variable(tf.tensor1d([1]));
    const head = tf.variable(tf.tensor2d([[1]]));
    const scales = new Map<tf.Variable, number>([
      [kernel, 0.25],
      [bias, 0.25],
    ]);
    const optimizer = createOptimizer(
      { optimizer: 'adamw', betas: [0.9, 0.999], weightDecay: 0.5, momentum: 0.9 },
      [kernel, bias, head],
      0.1,
      { lrScale: (p) => scales.get(p) ?? 1 },
    );
    optimizer.applyGradients({
      [kernel.name]: tf.tensor2d([[0.3, -0.3]]),
      [bias.name]: tf.tensor1d([0.3]),
      [head.name]: tf.tensor2d([[0.3]]),
    });
    // lr 0.025 for the kernel: shrink by 1 − 0.025·0.5, then step 0.025.
    expectClose(values(kernel), [1 * (1 - 0.0125) - 0.025, -1 * (1 - 0.0125) + 0.025]);
    expectClose(values(bias), [1 - 0.025]);
    expectClose(values(head), [1 * (1 - 0.05) - 0.1]);
    optimizer.dispose();
    tf.dispose([kernel, bias, head]);
  });

  it('scale SGD steps, and reject non-positive scales', () => {
    const kernel = tf.variable(tf.tensor2d([[1]]));
    const optimizer = new SgdMomentum([kernel], { learningRate: 0.1, momentum: 0.9, lrScale: () => 0.5 });
    optimizer.applyGradients({ [kernel.name]: tf.tensor2d([[1]]) }); // d = 1.9
    expectClose(values(kernel), [1 - 0.05 * 1.9]);
    expect(() => new AdamW([kernel], { learningRate: 0.1, lrScale: () => 0 })).toThrow(/scale/);
    optimizer.dispose();
    kernel.dispose();
  });
});
