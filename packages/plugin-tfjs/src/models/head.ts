import { layers, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { convInitializer, denseInitializer } from './initializers.js';
import { applyLayer, channelsOf, convBn } from './layer-helpers.js';

/** Name of the final (class-count dependent) layer that every built-in head ends with. */
export const CLASSIFIER_LAYER = 'classifier';

/**
 * MobileNet-V3/V4 "efficient head": global average pool → 1×1 conv → [BN] → ReLU → dropout →
 * linear. With `norm` (MobileNetV4) the conv has no bias and is followed by BN + ReLU; without it
 * (MobileNetV3) the conv has a bias and only ReLU, as in timm's `head_norm` switch.
 */
export interface PooledConvHeadSpec {
  readonly kind: 'pooled_conv';
  readonly hiddenChannels: number;
  readonly norm: boolean;
}

/** Classic small-CNN head: flatten → dense + ReLU → dropout → linear. */
export interface FlattenDenseHeadSpec {
  readonly kind: 'flatten_dense';
  readonly hiddenUnits: number;
}

/** Any head the network builder understands. */
export type HeadSpec = PooledConvHeadSpec | FlattenDenseHeadSpec;

/** Per-build head parameters. */
export interface HeadParams {
  readonly numClasses: number;
  readonly dropout: number;
  readonly seed: number | undefined;
}

function pooledConvHead(
  x: SymbolicTensor,
  spec: PooledConvHeadSpec,
  seed: number | undefined,
): SymbolicTensor {
  x = applyLayer(layers.globalAveragePooling2d({ name: 'global_pool' }), x);
  // tfjs global pooling cannot keep dims; reshape back to 1×1 so conv_head is a real 1×1 conv
  // whose kernel matches timm's conv_head weight layout.
  x = applyLayer(layers.reshape({ targetShape: [1, 1, channelsOf(x)], name: 'global_pool.reshape' }), x);
  if (spec.norm) {
    x = convBn(x, {
      convName: 'conv_head',
      bnName: 'norm_head',
      kernel: 1,
      stride: 1,
      filters: spec.hiddenChannels,
      relu: true,
      seed,
    });
  } else {
    const conv = layers.conv2d({
      filters: spec.hiddenChannels,
      kernelSize: 1,
      useBias: true,
      name: 'conv_head',
      kernelInitializer: convInitializer(seed, 'conv_head'),
    });
    x = applyLayer(layers.reLU({ name: 'act2' }), applyLayer(conv, x));
  }
  return applyLayer(layers.flatten({ name: 'flatten' }), x);
}

function flattenDenseHead(
  x: SymbolicTensor,
  spec: FlattenDenseHeadSpec,
  seed: number | undefined,
): SymbolicTensor {
  x = applyLayer(layers.flatten({ name: 'flatten' }), x);
  const fc = layers.dense({
    units: spec.hiddenUnits,
    activation: 'relu',
    name: 'pre_logits.fc',
    kernelInitializer: denseInitializer(seed, 'pre_logits.fc'),
  });
  return applyLayer(fc, x);
}

/** Appends the head and returns the logits tensor (`[batch, numClasses]`, no softmax). */
export function buildHead(x: SymbolicTensor, spec: HeadSpec, p: HeadParams): SymbolicTensor {
  x = spec.kind === 'pooled_conv' ? pooledConvHead(x, spec, p.seed) : flattenDenseHead(x, spec, p.seed);
  if (p.dropout > 0) {
    // No `seed`: tfjs-layers' Dropout hands a fixed seed to every `randomUniform` call, which would
    // draw the same mask on every step. Unseeded, the mask comes from `Math.random()`, which the
    // trainer seeds per step from `(train.seed, step)`: a fresh mask each step, reproducibly.
    x = applyLayer(layers.dropout({ rate: p.dropout, name: 'head_drop' }), x);
  }
  const classifier = layers.dense({
    units: p.numClasses,
    name: CLASSIFIER_LAYER,
    kernelInitializer: denseInitializer(p.seed, CLASSIFIER_LAYER),
  });
  return applyLayer(classifier, x);
}
