import { isMlopsError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { decodeMetadata, encodeMetadata, type OnnxModelMetadata } from '../src/metadata.js';
import { ElemType, type OnnxModel } from '../src/onnx/ir.js';
import { readMetadata, serializeModel } from '../src/onnx/serialize.js';
import { createSession, runBatch } from '../src/runtime/session.js';

const META: OnnxModelMetadata = {
  inputName: 'input',
  inputShape: [28, 28, 1],
  outputName: 'probabilities',
  labels: ['T-shirt/top', 'Trouser', 'Ünïcode "quoted"'],
  preprocessing: { size: 28, channels: 1, mean: [0.286], std: [0.353], resize: 'cover', layout: 'NHWC' },
  modelName: 'fashion-mnist',
  modelVersion: 4,
  runId: '20261126-061500-ab12',
  architecture: 'fast_cnn',
  precision: 'int8',
};

/** A one-node graph (softmax of the flattened input) carrying the metadata. */
function tinyModel(metadata: Record<string, string>): OnnxModel {
  return {
    name: 'tiny',
    nodes: [
      {
        name: 'flat',
        opType: 'Flatten',
        inputs: ['input'],
        outputs: ['flat'],
        attributes: { axis: { i: 1 } },
      },
      {
        name: 'sm',
        opType: 'Softmax',
        inputs: ['flat'],
        outputs: ['probabilities'],
        attributes: { axis: { i: 1 } },
      },
    ],
    initializers: new Map(),
    inputs: [{ name: 'input', elemType: ElemType.FLOAT, shape: ['batch', 1, 1, 3] }],
    outputs: [{ name: 'probabilities', elemType: ElemType.FLOAT, shape: ['batch', 3] }],
    opset: 13,
    metadata,
  };
}

describe('ONNX metadata', () => {
  it('round-trips through the file bytes, and the file still runs', async () => {
    const bytes = serializeModel(tinyModel(encodeMetadata(META)), '0.1.0');
    expect(decodeMetadata(readMetadata(bytes), 'test')).toEqual(META);
    const session = await createSession(bytes, 'test');
    const out = await runBatch(session, Float32Array.from([0, 0, Math.log(2)]), [1, 1, 1, 3]);
    expect(Array.from(out).map((v) => Number(v.toFixed(6)))).toEqual([0.25, 0.25, 0.5]);
    await session.release();
  });

  it('names the file and the key when something is missing or malformed', () => {
    const props = encodeMetadata(META);
    const { 'mlops.labels': _, ...noLabels } = props;
    const missing = (() => {
      try {
        decodeMetadata(noLabels, 'model.onnx');
      } catch (error) {
        return error;
      }
    })();
    expect(isMlopsError(missing, 'MLOPS_ERR_STORE_CORRUPT')).toBe(true);
    expect((missing as Error).message).toMatch(/^model\.onnx: .*mlops\.labels/);
    expect(() =>
      decodeMetadata({ ...props, 'mlops.preprocessing': '{"size":28,"channels":2}' }, 'm'),
    ).toThrow(/preprocessing/);
    expect(() => decodeMetadata({ ...props, 'mlops.input_shape': 'not json' }, 'm')).toThrow(/input_shape/);
  });
});
