/**
 * The whole model zoo exported and run in onnxruntime-node: probabilities within 1e-4 of tfjs
 * (cpu backend) on random images, with non-trivial BatchNorm statistics so folding is exercised.
 */
import { buildModel, listArchitectures } from '@mlops/plugin-tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertLayersModel } from '../src/export/convert-layers-model.js';
import { serializeModel } from '../src/onnx/serialize.js';
import { createSession, runBatch } from '../src/runtime/session.js';
import { agreement } from '../src/stage/compare.js';
import { randomInput, randomizeNormAndBias, tfjsProbabilities, useCpuBackend } from './helpers/tfjs.js';

beforeAll(useCpuBackend);

const CASES = [
  { architecture: 'fast_cnn', inputSize: 28, inputChannels: 1 },
  { architecture: 'small_cnn', inputSize: 28, inputChannels: 1 },
  { architecture: 'small_cnn', inputSize: 33, inputChannels: 3 },
  { architecture: 'mobilenetv4_conv_small', inputSize: 32, inputChannels: 3 },
  { architecture: 'mobilenetv4_conv_small', inputSize: 37, inputChannels: 1, widthMultiplier: 0.5 },
  // Stochastic depth adds DropPath layers, the identity at inference.
  { architecture: 'mobilenetv4_conv_small', inputSize: 32, inputChannels: 3, dropPath: 0.2 },
  // timm's narrow variants (channel multipliers 0.5 and 0.35 with a fixed stem and head).
  { architecture: 'mobilenetv4_conv_small_050', inputSize: 32, inputChannels: 3 },
  { architecture: 'mobilenetv4_conv_small_035', inputSize: 32, inputChannels: 3 },
];

describe('model zoo in onnxruntime-node', () => {
  it('covers every registered architecture', () => {
    expect(new Set(CASES.map((c) => c.architecture))).toEqual(new Set(listArchitectures()));
  });

  it.each(CASES)(
    '$architecture at $inputSize×$inputSize×$inputChannels',
    async ({ architecture, ...opts }) => {
      const model = buildModel(architecture, { numClasses: 7, seed: 5, ...opts });
      randomizeNormAndBias(model, 3);
      const converted = convertLayersModel(model);
      const shape = [opts.inputSize, opts.inputSize, opts.inputChannels];
      const session = await createSession(serializeModel(converted.model, 'test'), architecture);
      const x = randomInput(4, shape, 9);
      const expected = tfjsProbabilities(model, x, shape);
      const actual = await runBatch(session, x, [4, ...shape]);
      await session.release();
      const match = agreement(expected, actual, 7);
      expect(match.maxAbsDiff).toBeLessThan(1e-4);
      expect(match.top1Agreement).toBe(1);
      // Every BatchNormalization of the zoo follows a conv or dense and is folded away.
      expect(converted.model.nodes.some((n) => n.opType === 'BatchNormalization' || n.opType === 'Mul')).toBe(
        false,
      );
      expect(converted.foldedNorms).toBe(
        model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length,
      );
      model.dispose();
    },
  );
});
