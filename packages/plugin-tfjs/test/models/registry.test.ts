import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { input, layers, model } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchitectureBuilder,
  buildModel,
  getArchitecture,
  listArchitectures,
  registerArchitecture,
} from '../../src/models/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tinyBuilder: ArchitectureBuilder = (opts) => {
  const x = input({ shape: [opts.inputSize, opts.inputSize, opts.inputChannels] });
  const flat = layers.flatten().apply(x);
  const y = layers.dense({ units: opts.numClasses, name: 'classifier' }).apply(flat);
  return model({ inputs: x, outputs: y as ReturnType<typeof input> });
};

describe('architecture registry', () => {
  it('lists the built-in architectures', () => {
    expect(listArchitectures()).toEqual(expect.arrayContaining(['mobilenetv4_conv_small', 'small_cnn']));
    expect(getArchitecture('small_cnn').info).toMatchObject({
      defaultInputSize: 28,
      preferredInputChannels: 1,
    });
  });

  it('throws on an unknown name, listing the known names', () => {
    expect(() => getArchitecture('resnet9000')).toThrow(
      /Unknown architecture 'resnet9000'.*mobilenetv4_conv_small.*small_cnn/,
    );
    expect(() => buildModel('resnet9000', { numClasses: 2, inputSize: 8, inputChannels: 1 })).toThrow(
      /small_cnn/,
    );
  });

  it('lets plugins register architectures, with defaulted info', () => {
    registerArchitecture('test_tiny', tinyBuilder, { headLayers: ['classifier'] });
    expect(listArchitectures()).toContain('test_tiny');
    expect(getArchitecture('test_tiny').info).toMatchObject({
      headLayers: ['classifier'],
      preferredInputChannels: 3,
    });
    const m = buildModel('test_tiny', { numClasses: 4, inputSize: 8, inputChannels: 1 });
    expect(m.outputs[0]!.shape).toEqual([null, 4]);
  });

  it('refuses duplicate names unless replace is requested, and invalid names', () => {
    registerArchitecture('test_dup', tinyBuilder);
    expect(() => registerArchitecture('test_dup', tinyBuilder)).toThrow(/already registered/);
    expect(() => registerArchitecture('test_dup', tinyBuilder, {}, { replace: true })).not.toThrow();
    expect(() => registerArchitecture('bad name', tinyBuilder)).toThrow(/Invalid architecture name/);
  });

  it('validates options and the shapes a builder produces', () => {
    expect(() => buildModel('small_cnn', { numClasses: 0, inputSize: 28, inputChannels: 1 })).toThrow(
      /numClasses/,
    );
    expect(() =>
      buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1, dropout: 1 }),
    ).toThrow(/dropout/);
    expect(() =>
      buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1, widthMultiplier: 0 }),
    ).toThrow(/widthMultiplier/);
    registerArchitecture('test_wrong', (opts) => tinyBuilder({ ...opts, numClasses: opts.numClasses + 1 }));
    expect(() => buildModel('test_wrong', { numClasses: 3, inputSize: 8, inputChannels: 1 })).toThrow(
      /output shape/,
    );
  });
});
