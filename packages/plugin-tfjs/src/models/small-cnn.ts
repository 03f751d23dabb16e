import type { LayersModel } from '@tensorflow/tfjs-layers';
import { CLASSIFIER_LAYER } from './head.js';
import { buildNetwork, type NetworkSpec } from './network-builder.js';
import type { ArchitectureInfo, ModelBuildOptions } from './types.js';

/** Registry name of the small fast CNN for 28×28 inputs. */
export const SMALL_CNN = 'small_cnn';

/** Layers of `small_cnn` that depend on the class count. */
export const SMALL_CNN_HEAD_LAYERS: readonly string[] = [CLASSIFIER_LAYER];

/**
 * A VGG-style CNN sized for Fashion-MNIST on a 2-core CPU: (conv32-BN-ReLU ×2 → maxpool) →
 * (conv64-BN-ReLU ×2 → maxpool) → dense 128 → dropout → linear. Only conv2d, batchNorm, relu,
 * maxPool and dense — ops with fast kernels on every tfjs backend — and ~0.47M parameters at
 * 10 classes. Typically reaches 91–93% Fashion-MNIST test accuracy within a few epochs.
 */
export const SMALL_CNN_SPEC: NetworkSpec = {
  stages: [
    ['cn_k3_c32', 'cn_k3_c32', 'mp_k2'],
    ['cn_k3_c64', 'cn_k3_c64', 'mp_k2'],
  ],
  head: { kind: 'flatten_dense', hiddenUnits: 128 },
  defaultDropout: 0.3,
};

/** Facts about `small_cnn` for the registry. */
export const SMALL_CNN_INFO: ArchitectureInfo = {
  description: 'Small fast CNN for 28×28 images (Fashion-MNIST/MNIST); downsamples 4×',
  headLayers: SMALL_CNN_HEAD_LAYERS,
  defaultInputSize: 28,
  preferredInputChannels: 1,
};

/** Builds `small_cnn`. Any input size works; the flatten width grows with it. Outputs logits. */
export function buildSmallCnn(opts: ModelBuildOptions): LayersModel {
  return buildNetwork(SMALL_CNN, SMALL_CNN_SPEC, opts);
}
