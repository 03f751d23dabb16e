/**
 * Each wasm training kernel against the `cpu` backend's kernel on the same random data, over a
 * matrix of shapes (odd / even sizes, batch 2, strides 1 and 2, same / valid / explicit padding,
 * kernel sizes 1 / 3 / 5, channel counts that are not multiples of 4).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { makeConv2DBackpropFilterConfig } from '../../src/backend/wasm-kernels/conv2d-backprop-filter.js';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels/index.js';
import { setSimdKernelsEnabled, simdKernels } from '../../src/backend/wasm-kernels/simd-kernels.js';
import { asWasmBackend } from '../../src/backend/wasm-kernels/wasm-backend.js';
import { expectClose, randomData, runOn } from './helpers.js';

type Pad = 'same' | 'valid' | number[][];
type Shape4 = [number, number, number, number];

interface Case {
  batch: number;
  size: [number, number];
  k: number;
  stride: number;
  pad: Pad;
  cin: number;
  /** Output channels (conv) or channel multiplier (depthwise). */
  cout: number;
}

/** The shape matrix every kernel is checked on. */
function matrix(cin: number, cout: number): Case[] {
  const cases: Case[] = [];
  for (const k of [1, 3, 5]) {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const size of [
          [7, 9],
          [8, 6],
        ] as [number, number][]) {
          cases.push({ batch: 2, size, k, stride, pad, cin, cout });
        }
      }
    }
  }
  // Wider channels (exercise 8-channel blocks and bigger products), odd sizes, batch 3.
  cases.push({ batch: 3, size: [11, 13], k: 3, stride: 2, pad: 'same', cin: 20, cout: 36 });
  cases.push({ batch: 3, size: [10, 5], k: 5, stride: 1, pad: 'same', cin: 20, cout: cout === 1 ? 1 : 12 });
  cases.push({ batch: 2, size: [9, 8], k: 5, stride: 2, pad: 'same', cin: 16, cout: cout === 1 ? 1 : 8 });
  cases.push({ batch: 2, size: [6, 7], k: 3, stride: 1, pad: 'valid', cin: 8, cout: cout === 1 ? 1 : 16 });
  // Explicit, asymmetric padding.
  const explicit = [
    [0, 0],
    [1, 2],
    [2, 0],
    [0, 0],
  ];
  cases.push({ batch: 2, size: [7, 8], k: 3, stride: 2, pad: explicit, cin, cout });
  cases.push({ batch: 2, size: [7, 8], k: 3, stride: 1, pad: explicit, cin, cout });
  return cases;
}

const name = (c: Case): string =>
  `b${c.batch} ${c.size.join('x')} k${c.k} s${c.stride} ${typeof c.pad === 'string' ? c.pad : 'explicit'} ${c.cin}->${c.cout}`;

function outSize(c: Case, depthwise: boolean): Shape4 {
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, c.size[0], c.size[1], c.cin],
    [c.k, c.k, c.cin, c.cout],
    c.stride,
    1,
    c.pad as 'same',
    undefined,
    depthwise,
  );
  return info.outShape;
}

/** Runs `kernel` on wasm and on cpu with the same inputs and compares. */
async function compareKernel(
  kernel: string,
  inputs: Record<string, { shape: number[]; seed: number }>,
  attrs: Record<string, unknown>,
  label: string,
  tol = 1e-4,
): Promise<void> {
  const run = (): tf.Tensor => {
    const named: Record<string, tf.Tensor> = {};
    for (const [key, spec] of Object.entries(inputs)) {
      named[key] = tf.tensor(randomData(tf.util.sizeFromShape(spec.shape), spec.seed), spec.shape);
    }
    return tf.engine().runKernel(kernel, named, attrs as tf.NamedAttrMap) as tf.Tensor;
  };
  const [wasm] = await runOn('wasm', run);
  const [cpu] = await runOn('cpu', run);
  expectClose(wasm!, cpu!, tol, `${kernel} ${label}`);
}

beforeAll(async () => {
  const info = await selectBackend('wasm');
  expect(info.name).toBe('wasm');
});

describe('registerWasmTrainingKernels', () => {
  it('registers the missing gradient kernels once', () => {
    for (const k of [
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
    ]) {
      expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
    }
    expect(registerWasmTrainingKernels()).toEqual([]);
  });

  it('can run the wasm SIMD loops on the backend heap', () => {
    expect(simdKernels(asWasmBackend(tf.findBackend('wasm')))).not.toBeNull();
  });
});

for (const simd of [true, false]) {
  describe(simd ? 'wasm SIMD loops' : 'JS loops', () => {
    beforeAll(() => {
      setSimdKernelsEnabled(simd);
    });
    afterAll(() => {
      setSimdKernelsEnabled(true);
    });

    describe('Conv2DBackpropFilter', () => {
      // K = k*k*cin < cout puts the patch matrix on the right of the product (see the kernel).
      const narrow: Case[] = [
        { batch: 2, size: [7, 9], k: 3, stride: 2, pad: 'same', cin: 2, cout: 24 },
        { batch: 2, size: [8, 6], k: 3, stride: 1, pad: 'valid', cin: 2, cout: 24 },
        { batch: 3, size: [5, 5], k: 1, stride: 1, pad: 'same', cin: 12, cout: 40 },
        // Stems (small filters: the gemmTN path), the last one over several partial sums.
        { batch: 3, size: [13, 11], k: 3, stride: 2, pad: 'same', cin: 3, cout: 32 },
        { batch: 2, size: [28, 28], k: 3, stride: 1, pad: 'same', cin: 1, cout: 16 },
        { batch: 4, size: [64, 64], k: 3, stride: 1, pad: 'same', cin: 1, cout: 16 },
      ];
      for (const c of [...matrix(3, 6), ...narrow]) {
        it(name(c), async () => {
          const xShape: Shape4 = [c.batch, c.size[0], c.size[1], c.cin];
          await compareKernel(
            'Conv2DBackpropFilter',
            { x: { shape: xShape, seed: 1 }, dy: { shape: outSize(c, false), seed: 2 } },
            { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.k, c.k, c.cin, c.cout] },
            name(c),
          );
        });
      }

      it('NCHW', async () => {
        await compareKernel(
          'Conv2DBackpropFilter',
          { x: { shape: [2, 3, 7, 9], seed: 3 }, dy: { shape: [2, 5, 4, 5], seed: 4 } },
          { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 5] },
          'NCHW',
        );
      });

      for (const [k, stride, oh, ow] of [
        [3, 2, 4, 5],
        [1, 1, 7, 9],
      ] as const) {
        it(`splits large problems by images and sums the parts (k${k} s${stride})`, async () => {
          // A tiny patch budget forces one image per chunk.
          const config = makeConv2DBackpropFilterConfig(1);
          const run = (backendName: string): Promise<Float32Array[]> =>
            runOn(backendName, () => {
              const x = tf.tensor(randomData(3 * 7 * 9 * 4, 5), [3, 7, 9, 4]);
              const dy = tf.tensor(randomData(3 * oh * ow * 6, 6), [3, oh, ow, 6]);
              const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, 4, 6] };
              if (backendName === 'cpu')
                return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs);
              const info = config.kernelFunc({
                inputs: { x, dy },
                backend: tf.backend(),
                attrs,
              }) as tf.TensorInfo;
              return tf.engine().makeTensorFromTensorInfo(info);
            });
          const [wasm] = await run('wasm');
          const [cpu] = await run('cpu');
          expectClose(wasm!, cpu!, 1e-4, 'chunked');
        });
      }
    });

    describe('Conv2DBackpropInput', () => {
      for (const c of matrix(3, 6)) {
        it(name(c), async () => {
          const inputShape: Shape4 = [c.batch, c.size[0], c.size[1], c.cin];
          await compareKernel(
            'Conv2DBackpropInput',
            {
              dy: { shape: outSize(c, false), seed: 7 },
              filter: { shape: [c.k, c.k, c.cin, c.cout], seed: 8 },
            },
            { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape },
            name(c),
          );
        });
      }

      it('1x1 with few pixels and a wide filter (transposed product)', async () => {
        await compareKernel(
          'Conv2DBackpropInput',
          { dy: { shape: [3, 1, 2, 41], seed: 18 }, filter: { shape: [1, 1, 30, 41], seed: 19 } },
          { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [3, 1, 2, 30] },
          'wide 1x1',
        );
      });

      it('NCHW (delegates to the stock kernel)', async () => {
        await compareKernel(
          'Conv2DBackpropInput',
          { dy: { shape: [2, 5, 4, 5], seed: 9 }, filter: { shape: [3, 3, 3, 5], seed: 10 } },
          { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 9] },
          'NCHW',
        );
      });
    });

    describe('DepthwiseConv2dNativeBackpropFilter', () => {
      for (const c of [...matrix(5, 1), ...matrix(3, 2).filter((_, i) => i % 3 === 0)]) {
        it(name(c), async () => {
          const xShape: Shape4 = [c.batch, c.size[0], c.size[1], c.cin];
          await compareKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: { shape: xShape, seed: 11 }, dy: { shape: outSize(c, true), seed: 12 } },
            { strides: c.stride, dilations: 1, pad: c.pad, filterShape: [c.k, c.k, c.cin, c.cout] },
            name(c),
          );
        });
      }
    });

    describe('DepthwiseConv2dNativeBackpropInput', () => {
      for (const c of [...matrix(5, 1), ...matrix(3, 2).filter((_, i) => i % 3 === 0)]) {
        it(name(c), async () => {
          const inputShape: Shape4 = [c.batch, c.size[0], c.size[1], c.cin];
          await compareKernel(
            'DepthwiseConv2dNativeBackpropInput',
            {
              dy: { shape: outSize(c, true), seed: 13 },
              filter: { shape: [c.k, c.k, c.cin, c.cout], seed: 14 },
            },
            { strides: c.stride, dilations: 1, pad: c.pad, inputShape },
            name(c),
          );
        });
      }
    });
  });
}

describe('depthwise gradients with dilation 2', () => {
  // tfjs's gradient refuses dilation > 1 and the cpu kernels ignore it, so check the definition
  // directly: <dy, depthwiseConv2d(x, w)> is bilinear, its gradients are the two kernels.
  it('match the gradient of the dilated forward conv', async () => {
    const xShape: Shape4 = [2, 9, 8, 5];
    const wShape: Shape4 = [3, 3, 5, 1];
    const [gx, gw, dxK, dwK] = await runOn('wasm', () => {
      const x = tf.tensor4d(randomData(tf.util.sizeFromShape(xShape), 15), xShape);
      const w = tf.tensor4d(randomData(tf.util.sizeFromShape(wShape), 16), wShape);
      const y = tf.depthwiseConv2d(x, w, 1, 'same', 'NHWC', 2);
      const dy = tf.tensor(randomData(y.size, 17), y.shape);
      const attrs = { strides: 1, dilations: 2, pad: 'same' };
      const dx = tf.engine().runKernel(
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter: w },
        {
          ...attrs,
          inputShape: xShape,
        },
      ) as tf.Tensor;
      const dw = tf.engine().runKernel(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy },
        {
          ...attrs,
          filterShape: wShape,
        },
      ) as tf.Tensor;
      // Reference: <dy, conv(x, w)> = Σ over taps of <dy, shifted x> * w, via one-hot filters.
      const refDx = tf.buffer<tf.Rank.R4>(xShape);
      const refDw = tf.buffer<tf.Rank.R4>(wShape);
      const xv = x.dataSync();
      const wv = w.dataSync();
      const dyv = dy.dataSync();
      const [B, H, W, C] = xShape;
      const [, OH, OW] = y.shape as Shape4;
      for (let b = 0; b < B; b++)
        for (let oh = 0; oh < OH!; oh++)
          for (let ow = 0; ow < OW!; ow++)
            for (let kh = 0; kh < 3; kh++)
              for (let kw = 0; kw < 3; kw++) {
                const ih = oh + 2 * kh - 2;
                const iw = ow + 2 * kw - 2;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                for (let c = 0; c < C; c++) {
                  const g = dyv[((b * OH! + oh) * OW! + ow) * C + c]!;
                  refDx.set(refDx.get(b, ih, iw, c) + g * wv[(kh * 3 + kw) * C + c]!, b, ih, iw, c);
                  refDw.set(refDw.get(kh, kw, c, 0) + g * xv[((b * H + ih) * W + iw) * C + c]!, kh, kw, c, 0);
                }
              }
      return [refDx.toTensor(), refDw.toTensor(), dx, dw];
    });
    expectClose(dxK!, gx!, 1e-4, 'dx dilation 2');
    expectClose(dwK!, gw!, 1e-4, 'dw dilation 2');
  });
});

describe('Tile / Sum / Mean replacements', () => {
  const onBoth = async (label: string, fn: () => tf.Tensor): Promise<void> => {
    const [wasm] = await runOn('wasm', fn);
    const [cpu] = await runOn('cpu', fn);
    expectClose(wasm!, cpu!, 1e-5, label);
  };
  const tileCases: [number[], number[], 'float32' | 'int32' | 'bool'][] = [
    [[1, 1, 1, 5], [2, 3, 4, 1], 'float32'],
    [[2, 1, 3], [2, 3, 1], 'float32'],
    [[3, 4], [1, 17], 'float32'],
    [[6, 1], [1, 3], 'float32'],
    [[2, 3], [20, 10], 'int32'],
    [[2, 5], [9, 4], 'bool'],
    [[4], [33], 'float32'],
  ];
  for (const [shape, reps, dtype] of tileCases) {
    it(`tile ${dtype} [${shape}] x [${reps}]`, async () => {
      await onBoth('tile', () => {
        const v = randomData(tf.util.sizeFromShape(shape), 31);
        const x =
          dtype === 'float32'
            ? tf.tensor(v, shape)
            : tf.tensor(
                Array.from(v, (e) => (dtype === 'bool' ? Number(e > 0) : Math.round(e * 100))),
                shape,
                dtype,
              );
        return tf.cast(tf.tile(x, reps), 'float32');
      });
    });
  }
  const reduceCases: [number[], number | number[], boolean][] = [
    [[2, 3, 4, 5], [0, 1, 2], false],
    [[2, 3, 4, 5], [1, 2], true],
    [[7, 3], 0, false],
    [[2, 3, 4], 1, true],
    [[2, 3, 4], [0, 2], false],
    [[2, 3, 4], -1, false],
    [[2, 3, 4], [0, 1, 2], false],
    [[64, 9], [0], false],
    [[3, 5, 12], [0, 1], false],
    [[2, 7, 3, 8], [1, 2], true],
    [[9, 16], 0, false],
  ];
  for (const [shape, axis, keepDims] of reduceCases) {
    for (const op of ['sum', 'mean'] as const) {
      it(`${op} [${shape}] axis ${axis}${keepDims ? ' keepDims' : ''}`, async () => {
        await onBoth(op, () => {
          const x = tf.tensor(randomData(tf.util.sizeFromShape(shape), 32), shape);
          return op === 'sum' ? tf.sum(x, axis, keepDims) : tf.mean(x, axis, keepDims);
        });
      });
    }
  }
  const sliceCases: [number[], number[], number[], 'float32' | 'int32' | 'bool'][] = [
    [[2, 5, 6, 7], [0, 1, 1, 0], [2, 3, 4, 7], 'float32'],
    [[2, 5, 6, 7], [1, 0, 0, 0], [1, 5, 6, 7], 'float32'],
    [[4, 40], [1, 3], [2, 20], 'int32'],
    [[3, 4, 20], [1, 1, 0], [2, 2, 20], 'bool'],
    [[6, 5], [0, 1], [6, 2], 'float32'],
  ];
  const typed = (shape: number[], dtype: 'float32' | 'int32' | 'bool', seed: number): tf.Tensor => {
    const v = randomData(tf.util.sizeFromShape(shape), seed);
    if (dtype === 'float32') return tf.tensor(v, shape);
    return tf.tensor(
      Array.from(v, (e) => (dtype === 'bool' ? Number(e > 0) : Math.round(e * 100))),
      shape,
      dtype,
    );
  };
  for (const [shape, begin, size, dtype] of sliceCases) {
    it(`slice ${dtype} [${shape}] from [${begin}] size [${size}]`, async () => {
      await onBoth('slice', () => tf.cast(tf.slice(typed(shape, dtype, 33), begin, size), 'float32'));
    });
  }
  const padCases: [number[], [number, number][], number, 'float32' | 'int32' | 'bool'][] = [
    [
      [2, 3, 4, 5],
      [
        [0, 0],
        [1, 2],
        [2, 1],
        [0, 0],
      ],
      0,
      'float32',
    ],
    [
      [2, 3, 4, 20],
      [
        [1, 0],
        [0, 1],
        [1, 1],
        [0, 0],
      ],
      1.5,
      'float32',
    ],
    [
      [3, 20],
      [
        [1, 0],
        [0, 0],
      ],
      7,
      'int32',
    ],
    [
      [2, 4, 9],
      [
        [0, 0],
        [1, 1],
        [2, 0],
      ],
      1,
      'bool',
    ],
    [
      [5, 3],
      [
        [0, 0],
        [1, 1],
      ],
      0,
      'float32',
    ],
  ];
  for (const [shape, paddings, value, dtype] of padCases) {
    it(`pad ${dtype} [${shape}] by ${JSON.stringify(paddings)} with ${value}`, async () => {
      await onBoth('pad', () => tf.cast(tf.pad(typed(shape, dtype, 34), paddings, value), 'float32'));
    });
  }
  for (const channels of [8, 12, 5]) {
    it(`batchNorm with per-channel, missing and full-shape parameters, ${channels} channels`, async () => {
      const shape = [2, 3, 4, channels];
      const x = (): tf.Tensor4D => tf.tensor4d(randomData(tf.util.sizeFromShape(shape), 35), shape as Shape4);
      const vec = (seed: number, s = [channels]): tf.Tensor => tf.tensor(randomData(channels, seed), s);
      const positive = (seed: number): tf.Tensor => tf.add(tf.abs(vec(seed)), 0.1);
      const big = (seed: number): tf.Tensor => tf.add(tf.mul(vec(seed), 5), 100);
      await onBoth('bn full', () => tf.batchNorm(x(), vec(36), positive(37), vec(38), vec(39), 1e-3));
      await onBoth('bn large mean', () =>
        tf.batchNorm(tf.add(x(), 100), big(36), positive(37), vec(38), vec(39)),
      );
      await onBoth('bn no scale/offset', () =>
        tf.batchNorm(x(), vec(36), positive(37), undefined, undefined, 1e-3),
      );
      await onBoth('bn rank-4 stats', () =>
        tf.batchNorm(x(), vec(36, [1, 1, 1, channels]), tf.reshape(positive(37), [1, 1, 1, channels])),
      );
      await onBoth('bn full-shape stats (stock)', () => tf.batchNorm(x(), x(), tf.add(tf.abs(x()), 0.1)));
    });
  }
  it('cast: same dtype shares data safely, conversions still convert', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor([1.5, -2.5, 3, 0]);
    const y = tf.cast(x, 'float32');
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1.5, -2.5, 3, 0]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await onBoth('cast to int32', () =>
      tf.cast(tf.cast(tf.tensor([1.7, -2.7, 3.2, 0.5]), 'int32'), 'float32'),
    );
    await onBoth('cast bool', () => tf.cast(tf.greater(tf.tensor([1, -2, 3, 0]), 0), 'float32'));
  });
  it('clone (Identity) shares data safely', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor([1, 2, 3, 4]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it('sum of int32 still works (stock kernel)', async () => {
    await onBoth('int sum', () =>
      tf.cast(tf.sum(tf.tensor([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0), 'float32'),
    );
  });
});
