/**
 * The wasm kernels of a dense / pooling model's backward pass — `BatchMatMul` and `_FusedMatMul`
 * with transposed operands, `MaxPoolGrad` — and the tiled transpose they use, against the `cpu`
 * backend on odd shapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { makeBatchMatMulConfig } from '../../src/backend/wasm-kernels/batch-mat-mul.js';
import { setSimdKernelsEnabled } from '../../src/backend/wasm-kernels/simd-kernels.js';
import { transpose2d } from '../../src/backend/wasm-kernels/transpose2d.js';
import type { MatMulOrientation } from '../../src/backend/wasm-kernels/transposed-mat-mul.js';
import { asWasmBackend } from '../../src/backend/wasm-kernels/wasm-backend.js';
import { expectClose, randomData, runOn } from './helpers.js';

const rand = (shape: number[], seed: number): tf.Tensor =>
  tf.tensor(randomData(tf.util.sizeFromShape(shape), seed), shape);

beforeAll(async () => {
  const info = await selectBackend('wasm');
  expect(info.name).toBe('wasm');
});

const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Stored shapes of a and b for op(a) = [..., m, k], op(b) = [..., k, n]. */
function operandShapes(
  outerA: number[],
  outerB: number[],
  [m, k, n]: [number, number, number],
  tA: boolean,
  tB: boolean,
): [number[], number[]] {
  return [
    [...outerA, ...(tA ? [k, m] : [m, k])],
    [...outerB, ...(tB ? [n, k] : [k, n])],
  ];
}

describe('BatchMatMul with transposed operands', () => {
  // [outer dims of a, outer dims of b, [m, k, n]]; all products are above the stock-kernel cutoff.
  const cases: [number[], number[], [number, number, number]][] = [
    [[], [], [37, 29, 23]],
    [[], [], [5, 67, 61]],
    [[], [], [130, 7, 19]],
    [[], [], [64, 33, 70]],
    [[1], [1], [40, 24, 36]],
    [[3], [3], [19, 33, 27]],
    [[3], [1], [19, 33, 27]],
    [[3], [], [21, 30, 26]],
    [[1], [4], [18, 31, 29]],
    [[], [2], [25, 26, 27]],
    [
      [2, 2],
      [2, 2],
      [17, 35, 28],
    ],
  ];
  const name = (oa: number[], ob: number[], mkn: number[], tA: boolean, tB: boolean): string =>
    `[${oa}] x [${ob}] m${mkn[0]} k${mkn[1]} n${mkn[2]} tA=${tA} tB=${tB}`;

  for (const orientation of ['auto', 'direct', 'swapped'] as MatMulOrientation[]) {
    describe(`${orientation} layout`, () => {
      for (const [oa, ob, mkn] of cases) {
        for (const [tA, tB] of TRANSPOSES) {
          if (orientation !== 'auto' && !tA && !tB) continue;
          it(name(oa, ob, mkn, tA, tB), async () => {
            const [aShape, bShape] = operandShapes(oa, ob, mkn, tA, tB);
            const run = (backendName: string) =>
              runOn(backendName, () => {
                const a = rand(aShape, 1);
                const b = rand(bShape, 2);
                if (backendName === 'cpu' || orientation === 'auto') return tf.matMul(a, b, tA, tB);
                // The registered kernel computes the untransposed products the forced layout makes.
                const config = makeBatchMatMulConfig(tf.getKernel('BatchMatMul', 'wasm'), orientation);
                const attrs = { transposeA: tA, transposeB: tB };
                const info = config.kernelFunc({ inputs: { a, b }, backend: tf.backend(), attrs });
                return tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
              });
            const [wasm] = await run('wasm');
            const [cpu] = await run('cpu');
            expectClose(wasm!, cpu!, 1e-4, name(oa, ob, mkn, tA, tB));
          });
        }
      }
    });
  }

  it('leaves small products and untransposed ones to the stock kernel (same results)', async () => {
    for (const [tA, tB] of TRANSPOSES) {
      const fn = (): tf.Tensor =>
        tf.matMul(rand(tA ? [3, 2] : [2, 3], 3), rand(tB ? [4, 3] : [3, 4], 4), tA, tB);
      const [wasm] = await runOn('wasm', fn);
      const [cpu] = await runOn('cpu', fn);
      expectClose(wasm!, cpu!, 1e-5, `small tA=${tA} tB=${tB}`);
    }
  });

  it('does not leak tensors and matches the gradient of a dense layer', async () => {
    const fn = (): tf.Tensor[] => {
      const x = rand([33, 70], 5);
      const w = rand([70, 45], 6);
      const dy = rand([33, 45], 7);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a, b), dy)));
      return g([x, w]);
    };
    const wasm = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    expectClose(wasm[0]!, cpu[0]!, 1e-4, 'dx');
    expectClose(wasm[1]!, cpu[1]!, 1e-4, 'dw');
  });
});

describe('_FusedMatMul with transposed operands', () => {
  type Activation = 'linear' | 'relu' | 'relu6' | 'prelu' | 'leakyrelu';
  const cases: [number[], number[], [number, number, number], 'none' | 'column' | 'scalar', Activation][] = [
    [[1], [1], [37, 29, 23], 'column', 'relu'],
    [[1], [1], [30, 41, 26], 'none', 'linear'],
    [[1], [1], [28, 35, 33], 'column', 'relu6'],
    [[1], [1], [28, 35, 33], 'column', 'prelu'],
    [[1], [1], [28, 35, 33], 'none', 'leakyrelu'],
    [[1], [1], [31, 27, 29], 'scalar', 'linear'],
    [[3], [3], [19, 33, 27], 'column', 'relu'],
    [[3], [1], [19, 33, 27], 'column', 'linear'],
  ];
  for (const [oa, ob, mkn, bias, activation] of cases) {
    // Untransposed products are the stock kernel's (which, batched or with a [1] bias, adds the bias
    // wrongly).
    for (const [tA, tB] of TRANSPOSES.slice(1)) {
      const label = `[${oa}] x [${ob}] ${mkn.join('x')} bias ${bias} ${activation} tA=${tA} tB=${tB}`;
      it(label, async () => {
        const [aShape, bShape] = operandShapes(oa, ob, mkn, tA, tB);
        const n = mkn[2];
        const fn = (): tf.Tensor =>
          tf.fused.matMul({
            a: rand(aShape, 8),
            b: rand(bShape, 9),
            transposeA: tA,
            transposeB: tB,
            bias: bias === 'none' ? undefined : rand(bias === 'column' ? [n] : [1], 10),
            activation,
            preluActivationWeights: activation === 'prelu' ? rand([n], 11) : undefined,
            leakyreluAlpha: activation === 'leakyrelu' ? 0.3 : undefined,
          });
        const [wasm] = await runOn('wasm', fn);
        const [cpu] = await runOn('cpu', fn);
        expectClose(wasm!, cpu!, 1e-4, label);
      });
    }
  }
});

describe('transpose2d (tiled)', () => {
  for (const simd of [true, false]) {
    for (const [rows, cols, srcOffset, dstOffset] of [
      [3, 5, 0, 0],
      [70, 1024, 3, 0],
      [9, 4096, 0, 5],
      [131, 67, 2, 7],
    ] as const) {
      it(`[${rows}, ${cols}] from +${srcOffset} to +${dstOffset}${simd ? '' : ' (JS)'}`, async () => {
        const previous = setSimdKernelsEnabled(simd);
        try {
          await tf.setBackend('wasm');
          const backend = asWasmBackend(tf.backend());
          const data = randomData(srcOffset + rows * cols, 12);
          const src = tf.tensor1d(data);
          const dst = tf.fill([dstOffset + rows * cols], -7);
          transpose2d(backend, src, srcOffset, rows, cols, dst, dstOffset);
          const out = await dst.data();
          tf.dispose([src, dst]);
          for (let i = 0; i < dstOffset; i++) expect(out[i]).toBe(-7);
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < cols; c++) {
              if (out[dstOffset + c * rows + r] !== data[srcOffset + r * cols + c]) {
                expect.fail(
                  `[${r}, ${c}]: ${out[dstOffset + c * rows + r]} != ${data[srcOffset + r * cols + c]}`,
                );
              }
            }
          }
        } finally {
          setSimdKernelsEnabled(previous);
        }
      });
    }
  }
});

for (const simd of [true, false]) {
  describe(`MaxPoolGrad${simd ? '' : ' (JS loops)'}`, () => {
    beforeAll(() => {
      setSimdKernelsEnabled(simd);
    });
    afterAll(() => {
      setSimdKernelsEnabled(true);
    });
    type Pad = 'valid' | 'same' | number;
    // [x shape, filter, stride, pad, data]: 'ties' rounds x to a few levels (equal maxima) and clamps
    // at 0 like a ReLU (all-zero windows); 'negative' makes every value negative.
    const cases: [number[], number, number, Pad, 'random' | 'ties' | 'negative'][] = [
      [[2, 8, 6, 8], 2, 2, 'valid', 'random'],
      [[2, 7, 9, 5], 2, 2, 'valid', 'random'],
      [[2, 7, 9, 5], 2, 2, 'same', 'random'],
      [[2, 8, 8, 12], 3, 2, 'same', 'random'],
      [[2, 8, 8, 12], 3, 2, 'valid', 'random'],
      [[2, 9, 7, 6], 3, 2, 'same', 'random'],
      [[2, 9, 7, 6], 3, 2, 'valid', 'random'],
      [[1, 6, 7, 9], 3, 1, 'same', 'random'],
      [[1, 6, 7, 4], 2, 1, 'valid', 'random'],
      [[2, 7, 8, 4], 3, 2, 1, 'random'],
      [[3, 8, 8, 16], 2, 2, 'valid', 'ties'],
      [[2, 9, 9, 7], 3, 2, 'same', 'ties'],
      [[2, 6, 6, 8], 2, 2, 'valid', 'negative'],
      [[1, 3, 3, 5], 3, 3, 'valid', 'random'],
    ];
    for (const [shape, f, s, pad, kind] of cases) {
      const label = `[${shape}] ${f}x${f}/${s} ${pad} ${kind}`;
      it(label, async () => {
        const fn = (): tf.Tensor => {
          let x = rand(shape, 13);
          if (kind === 'ties') x = tf.relu(tf.round(tf.mul(x, 2)));
          if (kind === 'negative') x = tf.sub(tf.abs(x), 1.5);
          const x4 = x as tf.Tensor4D;
          const rounding = typeof pad === 'number' ? 'floor' : undefined;
          const attrs: tf.NamedAttrMap = { filterSize: f, strides: s, pad };
          if (rounding != null) attrs.dimRoundingMode = rounding;
          const y = tf.maxPool(x4, f, s, pad, rounding);
          const dy = rand(y.shape, 14);
          return tf.engine().runKernel('MaxPoolGrad', { dy, input: x4, output: y }, attrs) as tf.Tensor;
        };
        const [wasm] = await runOn('wasm', fn);
        const [cpu] = await runOn('cpu', fn);
        expectClose(wasm!, cpu!, 1e-4, label);
      });
    }

    it('is what tf.grad of maxPool uses', async () => {
      const fn = (): tf.Tensor =>
        tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), 3)))(
          rand([2, 6, 6, 8], 15),
        );
      const [wasm] = await runOn('wasm', fn);
      const [cpu] = await runOn('cpu', fn);
      expectClose(wasm!, cpu!, 1e-5, 'grad');
    });
  });
}
