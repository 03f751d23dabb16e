/**
 * Every layer the exporter maps, converted alone (or in the small pattern it appears in) and run
 * in onnxruntime against tfjs's cpu backend: odd sizes, strides, "same" padding on even and odd
 * inputs (TF pads the odd pixel at the bottom/right), dilations, depth multipliers.
 */

import { LayerScale, MultiQueryAttention } from '@mlops/plugin-tfjs';
import {
  model as functionalModel,
  input,
  layers,
  type SymbolicTensor,
  sequential,
} from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectRawParity, opTypes } from './helpers/parity.js';
import { useCpuBackend } from './helpers/tfjs.js';

beforeAll(useCpuBackend);

type Apply = { apply(x: SymbolicTensor | SymbolicTensor[]): unknown };
function chain(shape: number[], ...stack: Apply[]) {
  const x = input({ shape });
  let y: SymbolicTensor = x;
  for (const layer of stack) y = layer.apply(y) as SymbolicTensor;
  return functionalModel({ inputs: x, outputs: y });
}

describe('Conv2D', () => {
  it.each([
    { kernelSize: 3, strides: 1, padding: 'same', size: [7, 9, 3] },
    { kernelSize: 3, strides: 2, padding: 'same', size: [8, 8, 2] },
    { kernelSize: 3, strides: 2, padding: 'same', size: [7, 5, 2] },
    { kernelSize: [2, 4], strides: [2, 1], padding: 'same', size: [6, 7, 1] },
    { kernelSize: 5, strides: 3, padding: 'valid', size: [11, 13, 4] },
    { kernelSize: 1, strides: 1, padding: 'valid', size: [5, 5, 6] },
  ] as const)('kernel $kernelSize stride $strides $padding on $size', async ({ size, ...conv }) => {
    const { converted } = await expectRawParity(
      chain(
        [...size],
        layers.conv2d({
          kernelSize: conv.kernelSize as number | number[],
          strides: conv.strides as number | number[],
          padding: conv.padding,
          filters: 5,
          useBias: true,
        }),
      ),
    );
    expect(opTypes(converted)).toEqual(['Transpose', 'Conv', 'Transpose', 'Identity']);
  });

  it('with dilation and a fused activation', async () => {
    await expectRawParity(
      chain(
        [9, 9, 2],
        layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu6' }),
      ),
    );
  });

  it('without bias, followed by a folded BatchNormalization', async () => {
    const { converted } = await expectRawParity(
      chain(
        [6, 6, 3],
        layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }),
        layers.batchNormalization({ epsilon: 1e-5 }),
      ),
    );
    expect(converted.foldedNorms).toBe(1);
    expect(opTypes(converted)).not.toContain('Mul');
  });
});

describe('DepthwiseConv2D', () => {
  it.each([
    { kernelSize: 3, strides: 1, padding: 'same', depthMultiplier: 1, size: [7, 7, 4] },
    { kernelSize: 5, strides: 2, padding: 'same', depthMultiplier: 1, size: [10, 10, 3] },
    { kernelSize: 3, strides: 2, padding: 'valid', depthMultiplier: 2, size: [9, 8, 3] },
  ] as const)(
    'kernel $kernelSize stride $strides $padding × $depthMultiplier on $size',
    async ({ size, ...conv }) => {
      await expectRawParity(
        chain([...size], layers.depthwiseConv2d({ ...conv, useBias: true }), layers.batchNormalization()),
      );
    },
  );
});

describe('ZeroPadding2D', () => {
  it('folds into the next conv (timm-style explicit padding)', async () => {
    const { converted } = await expectRawParity(
      chain(
        [8, 8, 2],
        layers.zeroPadding2d({
          padding: [
            [1, 2],
            [0, 1],
          ],
        }),
        layers.conv2d({ filters: 3, kernelSize: 3, strides: 2 }),
      ),
    );
    expect(opTypes(converted)).not.toContain('Pad');
  });

  it.each(['valid', 'same'] as const)(
    'folds exactly into MaxPooling2D (%s) when the pads fit the window, and AveragePooling2D',
    async (padding) => {
      const x = input({ shape: [5, 6, 2] });
      const padded = layers
        .zeroPadding2d({
          padding: [
            [1, 0],
            [2, 1],
          ],
        })
        .apply(x) as SymbolicTensor;
      const y = layers.maxPooling2d({ poolSize: 3, strides: 2, padding }).apply(padded) as SymbolicTensor;
      // All-negative inputs: a window over the zero border must give 0 (onnxruntime's own Pad
      // fusion gets this wrong, which is why the exporter folds the pads itself).
      const model = functionalModel({ inputs: x, outputs: y });
      const { converted } = await expectRawParity(model, 1e-5, (v) => -1 - Math.abs(v));
      expect(opTypes(converted).includes('Pad')).toBe(padding === 'same');
      await expectRawParity(
        chain([5, 6, 2], layers.zeroPadding2d({ padding: 1 }), layers.averagePooling2d({ poolSize: 2 })),
        1e-5,
        (v) => -1 - Math.abs(v),
      );
    },
  );

  it('becomes a Pad op before other layers', async () => {
    const { converted } = await expectRawParity(
      chain([5, 6, 2], layers.zeroPadding2d({ padding: 1 }), layers.activation({ activation: 'sigmoid' })),
    );
    expect(opTypes(converted)).toContain('Pad');
  });
});

describe('BatchNormalization', () => {
  it('standalone (on the input and after an Add)', async () => {
    const x = input({ shape: [5, 5, 3] });
    const a = layers.batchNormalization().apply(x) as SymbolicTensor;
    const b = layers.conv2d({ filters: 3, kernelSize: 1 }).apply(x) as SymbolicTensor;
    const sum = layers.add().apply([a, b]) as SymbolicTensor;
    const y = layers.batchNormalization({ epsilon: 1e-3 }).apply(sum) as SymbolicTensor;
    const { converted } = await expectRawParity(functionalModel({ inputs: x, outputs: y }));
    expect(converted.foldedNorms).toBe(0);
  });

  it('after Dense (folded into the Gemm)', async () => {
    const { converted } = await expectRawParity(
      chain([4, 4, 2], layers.flatten(), layers.dense({ units: 6 }), layers.batchNormalization()),
    );
    expect(converted.foldedNorms).toBe(1);
  });
});

describe('activations', () => {
  it.each([
    'relu',
    'relu6',
    'sigmoid',
    'tanh',
    'elu',
    'selu',
    'softplus',
    'softsign',
    'hardSigmoid',
    'swish',
    'mish',
    'softmax',
    'linear',
  ] as const)('Activation(%s)', async (activation) => {
    await expectRawParity(
      chain([3, 4, 5], layers.conv2d({ filters: 4, kernelSize: 1 }), layers.activation({ activation })),
    );
  });

  it('ReLU, ReLU(maxValue 6), LeakyReLU, ELU and Softmax layers', async () => {
    await expectRawParity(
      chain(
        [4, 4, 3],
        layers.reLU(),
        layers.conv2d({ filters: 3, kernelSize: 1 }),
        layers.reLU({ maxValue: 6 }),
      ),
    );
    await expectRawParity(
      chain([4, 4, 3], layers.leakyReLU({ alpha: 0.1 }), layers.elu(), layers.softmax({ axis: -1 })),
    );
  });

  it('hard-swish as a custom HardSwish layer', async () => {
    const { HardSwish } = await import('./helpers/hard-swish.js');
    const { converted } = await expectRawParity(
      chain([4, 4, 3], layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), new HardSwish({})),
    );
    expect(opTypes(converted)).toContain('HardSigmoid');
  });

  it('Dense with a softmax activation is not given a second softmax', async () => {
    const m = sequential({
      layers: [layers.flatten({ inputShape: [3, 3, 2] }), layers.dense({ units: 4, activation: 'softmax' })],
    });
    const { converted } = await expectRawParity(m);
    expect(opTypes(converted).filter((op) => op === 'Softmax')).toHaveLength(1);
  });
});

describe('pooling', () => {
  it.each([
    { poolSize: 2, strides: 2, padding: 'valid', size: [7, 9, 3] },
    { poolSize: 2, strides: 2, padding: 'same', size: [7, 9, 3] },
    { poolSize: 3, strides: 2, padding: 'same', size: [8, 8, 2] },
    { poolSize: 3, strides: 1, padding: 'same', size: [5, 6, 2] },
  ] as const)(
    'MaxPooling2D and AveragePooling2D $poolSize/$strides $padding on $size',
    async ({ size, ...pool }) => {
      await expectRawParity(chain([...size], layers.maxPooling2d({ ...pool })));
      await expectRawParity(chain([...size], layers.averagePooling2d({ ...pool })));
    },
  );

  it('GlobalAveragePooling2D and GlobalMaxPooling2D', async () => {
    await expectRawParity(chain([5, 7, 4], layers.globalAveragePooling2d({})));
    await expectRawParity(chain([5, 7, 4], layers.globalMaxPooling2d({})));
  });
});

describe('Dense, Flatten, Reshape, Dropout, Rescaling', () => {
  it('Flatten → Dropout → Dense absorbs the NCHW order in the kernel (no Transpose)', async () => {
    const { converted } = await expectRawParity(
      chain(
        [3, 5, 4],
        layers.flatten(),
        layers.dropout({ rate: 0.5 }),
        layers.dense({ units: 7, activation: 'relu' }),
      ),
    );
    expect(opTypes(converted).filter((op) => op === 'Transpose')).toHaveLength(1);
  });

  it('Flatten read by a non-Dense layer keeps Keras order', async () => {
    await expectRawParity(chain([3, 2, 4], layers.flatten(), layers.activation({ activation: 'softmax' })));
  });

  it('pooled-conv head: GlobalAveragePooling2D → Reshape 1×1×C → Conv2D → Flatten → Dense', async () => {
    const { converted } = await expectRawParity(
      chain(
        [6, 6, 8],
        layers.globalAveragePooling2d({}),
        layers.reshape({ targetShape: [1, 1, 8] }),
        layers.conv2d({ filters: 12, kernelSize: 1 }),
        layers.reLU(),
        layers.flatten(),
        layers.dense({ units: 5 }),
      ),
    );
    expect(opTypes(converted).filter((op) => op === 'Transpose')).toHaveLength(1);
  });

  it('Reshape between arbitrary shapes goes through the Keras layout', async () => {
    await expectRawParity(
      chain(
        [4, 6, 2],
        layers.reshape({ targetShape: [6, 4, 2] }),
        layers.conv2d({ filters: 2, kernelSize: 3 }),
      ),
    );
    await expectRawParity(chain([4, 6, 2], layers.reshape({ targetShape: [48] })));
  });

  it('Rescaling (a normalization layer inside the model)', async () => {
    await expectRawParity(
      chain(
        [4, 4, 3],
        layers.rescaling({ scale: 1 / 127.5, offset: -1 }),
        layers.conv2d({ filters: 2, kernelSize: 3 }),
      ),
    );
  });
});

describe('merge layers', () => {
  it('Add, Multiply, Average, Maximum, Minimum, Concatenate', async () => {
    const x = input({ shape: [5, 4, 3] });
    const a = layers.conv2d({ filters: 3, kernelSize: 1 }).apply(x) as SymbolicTensor;
    const b = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(x) as SymbolicTensor;
    const merged = [
      layers.add().apply([a, b, x]),
      layers.multiply().apply([a, b]),
      layers.average().apply([a, b]),
      layers.maximum().apply([a, b]),
      layers.minimum().apply([a, b]),
    ] as SymbolicTensor[];
    const y = layers.concatenate({ axis: -1 }).apply(merged) as SymbolicTensor;
    await expectRawParity(functionalModel({ inputs: x, outputs: y }));
  });
});

describe('MobileNetV4-hybrid layers', () => {
  it('LayerScale after a conv: one Mul by the per-channel gamma', async () => {
    const { converted } = await expectRawParity(
      chain(
        [5, 6, 4],
        layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }),
        new LayerScale({ initValue: 1e-5 }),
      ),
    );
    expect(opTypes(converted)).toEqual(['Transpose', 'Conv', 'Mul', 'Transpose', 'Identity']);
  });

  it.each([
    { size: [6, 5, 8], kvStride: 2, heads: 3, keyDim: 4, valueDim: 5 },
    { size: [4, 4, 8], kvStride: 1, heads: 2, keyDim: 6, valueDim: 6 },
    { size: [1, 1, 8], kvStride: 1, heads: 4, keyDim: 2, valueDim: 3 },
  ])(
    'MultiQueryAttention on $size: $heads heads, key/value stride $kvStride',
    async ({ size, kvStride, heads, keyDim, valueDim }) => {
      const x = input({ shape: size });
      const pw = (t: SymbolicTensor, filters: number) =>
        layers.conv2d({ filters, kernelSize: 1, useBias: false }).apply(t) as SymbolicTensor;
      const down = (t: SymbolicTensor) =>
        kvStride === 1
          ? t
          : (layers
              .depthwiseConv2d({ kernelSize: 3, strides: kvStride, padding: 'valid', useBias: false })
              .apply(layers.zeroPadding2d({ padding: 1 }).apply(t) as SymbolicTensor) as SymbolicTensor);
      const q = pw(x, heads * keyDim);
      const k = pw(down(x), keyDim);
      const v = pw(down(x), valueDim);
      const attn = new MultiQueryAttention({ numHeads: heads, keyDim, valueDim }).apply([q, k, v]);
      const y = pw(attn as SymbolicTensor, 7);
      const { converted } = await expectRawParity(functionalModel({ inputs: x, outputs: y }));
      const ops = opTypes(converted);
      expect(ops.filter((op) => op === 'MatMul')).toHaveLength(2);
      expect(ops.filter((op) => op === 'Softmax')).toHaveLength(1);
      expect(converted.model.opset).toBe(13);
    },
  );
});
