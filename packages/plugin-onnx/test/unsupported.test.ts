import { isMlopsError } from '@mlops/core';
import { model as functionalModel, input, layers, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertLayersModel } from '../src/export/convert-layers-model.js';
import { supportedLayerClasses } from '../src/export/converters/index.js';
import { useCpuBackend } from './helpers/tfjs.js';

beforeAll(useCpuBackend);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('layers the exporter cannot convert', () => {
  it('fail with the layer, its class and the supported list', () => {
    const x = input({ shape: [8, 8, 3] });
    const up = layers.upSampling2d({ size: [2, 2], name: 'decoder.up' }).apply(x) as SymbolicTensor;
    const y = layers
      .conv2dTranspose({ filters: 2, kernelSize: 3, name: 'decoder.deconv' })
      .apply(up) as SymbolicTensor;
    const error = thrown(() => convertLayersModel(functionalModel({ inputs: x, outputs: y })));
    expect(isMlopsError(error, 'MLOPS_ONNX_ERR_UNSUPPORTED_LAYER')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('decoder.up (UpSampling2D)');
    expect(message).toContain('decoder.deconv (Conv2DTranspose)');
    for (const name of ['Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'Dense'])
      expect(message).toContain(name);
    expect((error as { hint?: string }).hint).toMatch(/export\.formats/);
  });

  it('fail for an unsupported configuration of a supported class, naming the layer', () => {
    const x = input({ shape: [3, 8, 8] });
    const conv = layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst', name: 'nchw_conv' });
    const y = conv.apply(x) as SymbolicTensor;
    const error = thrown(() => convertLayersModel(functionalModel({ inputs: x, outputs: y })));
    expect(isMlopsError(error, 'MLOPS_ONNX_ERR_UNSUPPORTED_LAYER')).toBe(true);
    expect((error as Error).message).toMatch(/nchw_conv \(Conv2D\).*channelsFirst/);
  });

  it('lists what is supported', () => {
    expect(supportedLayerClasses()).toEqual(
      expect.arrayContaining([
        'InputLayer',
        'Conv2D',
        'DepthwiseConv2D',
        'ReLU',
        'Add',
        'GlobalAveragePooling2D',
        'Dropout',
        'Flatten',
        'Reshape',
        'Rescaling',
        'Softmax',
      ]),
    );
  });
});
