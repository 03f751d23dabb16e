/**
 * The whole model zoo exported and run in onnxruntime-node: probabilities within 1e-4 of tfjs
 * (cpu backend) on random images, with non-trivial BatchNorm statistics so folding is exercised.
 */
import { buildModel, listArchitectures } from '@mlops/plugin-tfjs';
import { mul } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertLayersModel } from '../src/export/convert-layers-model.js';
import { serializeModel } from '../src/onnx/serialize.js';
import { createSession, runBatch } from '../src/runtime/session.js';
import { agreement } from '../src/stage/compare.js';
import { randomInput, randomizeNormAndBias, tfjsProbabilities, useCpuBackend } from './helpers/tfjs.js';

beforeAll(useCpuBackend);

interface ZooCase {
  architecture: string;
  inputSize: number;
  inputChannels: number;
  widthMultiplier?: number;
  dropPath?: number;
  /** BatchNormalizations that follow no conv or dense (exported as Mul + Add), default 0. */
  unfoldedNorms?: number;
}

const CASES: ZooCase[] = [
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
  // The hybrid: MobileAttention's pre-norm BN reads the residual stream (an Add or a LayerScale),
  // so each of the 8 MQA blocks keeps one. 64 px gives 4 key positions in both attention stages;
  // 57 px grayscale exercises odd maps (29, 15, 8, 4 → keys 2×2, 2).
  {
    architecture: 'mobilenetv4_hybrid_medium',
    inputSize: 64,
    inputChannels: 3,
    widthMultiplier: 0.125,
    unfoldedNorms: 8,
  },
  {
    architecture: 'mobilenetv4_hybrid_medium',
    inputSize: 57,
    inputChannels: 1,
    widthMultiplier: 0.25,
    unfoldedNorms: 8,
  },
];

describe('model zoo in onnxruntime-node', () => {
  it('covers every registered architecture', () => {
    expect(new Set(CASES.map((c) => c.architecture))).toEqual(new Set(listArchitectures()));
  });

  it.each(CASES)(
    '$architecture at $inputSize×$inputSize×$inputChannels',
    async ({ architecture, unfoldedNorms = 0, ...opts }) => {
      const model = buildModel(architecture, { numClasses: 7, seed: 5, ...opts });
      randomizeNormAndBias(model, 3);
      // randomizeNormAndBias draws every `gamma` in [0.5, 1.5], layer scales included; at that size
      // the hybrid's 27 residual branches grow the logits to ~1e3 and the softmax saturates (a
      // parity of 0 proves nothing). A quarter of it keeps the logits O(1).
      for (const layer of model.layers.filter((l) => l.getClassName() === 'LayerScale')) {
        layer.setWeights(layer.getWeights().map((w) => mul(w, 0.25)));
      }
      const converted = convertLayersModel(model);
      const shape = [opts.inputSize, opts.inputSize, opts.inputChannels];
      const session = await createSession(serializeModel(converted.model, 'test'), architecture);
      const x = randomInput(4, shape, 9);
      const expected = tfjsProbabilities(model, x, shape);
      const actual = await runBatch(session, x, [4, ...shape]);
      await session.release();
      const match = agreement(expected, actual, 7);
      expect(Math.max(...expected)).toBeLessThan(0.99); // not saturated: the comparison means something
      expect(match.maxAbsDiff).toBeLessThan(1e-4);
      expect(match.top1Agreement).toBe(1);
      // Every BatchNormalization that follows a conv or dense is folded away; the others (the
      // hybrid's attention pre-norms) are a Mul + Add. Other Muls: layer scales and the
      // attention's query scaling.
      const count = (className: string) => model.layers.filter((l) => l.getClassName() === className).length;
      const ops = (opType: string) => converted.model.nodes.filter((n) => n.opType === opType).length;
      expect(ops('BatchNormalization')).toBe(0);
      expect(converted.foldedNorms).toBe(count('BatchNormalization') - unfoldedNorms);
      expect(ops('Mul')).toBe(unfoldedNorms + count('LayerScale') + count('MultiQueryAttention'));
      model.dispose();
    },
  );
});
