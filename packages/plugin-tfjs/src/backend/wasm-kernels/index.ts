/**
 * Training kernels for `@tensorflow/tfjs-backend-wasm` 4.22.
 *
 * The stock wasm backend cannot train convolutional models: the gradient kernels of conv2d and
 * depthwiseConv2d are missing. It also has kernels on the training path that are far slower than
 * the rest (a scalar conv2d input gradient, a per-element Tile, transposing reductions, scalar
 * matrix products whenever an operand is transposed — every dense layer's backward pass —, a slow
 * max-pool gradient). This module registers fast versions that reuse the backend's XNNPACK kernels
 * where possible.
 */
import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
// Registers the stock wasm kernels first, so that ours replace them and not the other way round.
import '@tensorflow/tfjs-backend-wasm';
import { makeBatchMatMulConfig } from './batch-mat-mul.js';
import { registerBatchNormTrainKernels } from './batch-norm-train.js';
import { makeCastConfig } from './cast.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { installConv2DLayerHook } from './conv2d-layer.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-backprop-input.js';
import { makeFusedBatchNormConfig } from './fused-batch-norm.js';
import { makeFusedConv2DConfig } from './fused-conv2d.js';
import { makeFusedMatMulConfig } from './fused-mat-mul.js';
import { makeIdentityConfig } from './identity.js';
import { makeMaxPoolGradConfig } from './max-pool-grad.js';
import { makeMeanConfig } from './mean.js';
import { registerOptimizerKernels } from './optimizer-kernels.js';
import { makePadV2Config } from './pad-v2.js';
import { makeReluConfig, registerReluGrad } from './relu.js';
import { makeSliceConfig } from './slice.js';
import { makeSumConfig } from './sum.js';
import { makeTileConfig } from './tile.js';

/** Kernels missing from tfjs-backend-wasm 4.22 that conv / depthwise-conv training needs. */
export const MISSING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
];

/** Stock kernels replaced by faster ones; each factory receives the stock config to delegate to. */
const REPLACEMENTS: readonly [string, (stock: KernelConfig | undefined) => KernelConfig][] = [
  ['Conv2DBackpropInput', makeConv2DBackpropInputConfig],
  ['Tile', makeTileConfig],
  ['Sum', makeSumConfig],
  ['Mean', makeMeanConfig],
  ['Identity', makeIdentityConfig],
  ['Cast', makeCastConfig],
  ['Slice', makeSliceConfig],
  ['PadV2', makePadV2Config],
  ['FusedBatchNorm', makeFusedBatchNormConfig],
  ['BatchMatMul', makeBatchMatMulConfig],
  ['_FusedMatMul', makeFusedMatMulConfig],
  ['MaxPoolGrad', makeMaxPoolGradConfig],
  ['Relu', makeReluConfig],
  ['FusedConv2D', makeFusedConv2DConfig],
  ['Conv2D', (stock) => makeFusedConv2DConfig(stock, 'Conv2D')],
];

/** Configs registered by this module, so that a second call can recognise them. */
const OURS = new WeakSet<KernelConfig>();

function current(kernelName: string): KernelConfig | undefined {
  return getKernel(kernelName, 'wasm') ?? undefined;
}

/** Registers `config`, replacing (without tfjs's duplicate-registration warning) any existing one. */
function install(config: KernelConfig): void {
  if (current(config.kernelName) != null) unregisterKernel(config.kernelName, 'wasm');
  OURS.add(config);
  registerKernel(config);
}

/**
 * Registers the wasm training kernels: `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropFilter`
 * and `DepthwiseConv2dNativeBackpropInput` (missing in tfjs-backend-wasm 4.22), and faster versions
 * of stock kernels on the training path — `Conv2DBackpropInput`, `Tile`, `Sum`, `Mean`, `Identity`,
 * `Cast`, `Slice`, `PadV2`, `FusedBatchNorm`, `BatchMatMul`, `_FusedMatMul` and `MaxPoolGrad` —
 * which fall back to the stock kernels for the cases they do not speed up. Also registers the
 * fused kernels of this package (training-mode BatchNorm with its gradient, hooked into
 * tfjs-layers' `BatchNormalization`; the AdamW update; the sum of squares of the gradient norm;
 * the ReLU gradient in one pass).
 *
 * Idempotent: later calls register nothing. Works before or after `tf.setBackend('wasm')`.
 *
 * @returns the names of the kernels registered by this call (empty when already registered).
 */
export function registerWasmTrainingKernels(): string[] {
  const registered: string[] = [];
  for (const [name, make] of REPLACEMENTS) {
    const stock = current(name);
    if (stock != null && OURS.has(stock)) continue;
    install(make(stock));
    registered.push(name);
  }
  for (const config of MISSING_KERNELS) {
    if (current(config.kernelName) === config) continue;
    install(config);
    registered.push(config.kernelName);
  }
  registerBatchNormTrainKernels();
  registerOptimizerKernels();
  registerReluGrad();
  installConv2DLayerHook();
  return registered;
}
