/**
 * Model zoo for the tfjs engine: architecture registry, block-spec language, the built-in
 * architectures, and checkpoint transfer. Every model outputs logits (no softmax).
 */
export { MultiQueryAttention, type MultiQueryAttentionArgs } from './attention.js';
export type {
  BlockSpec,
  ConvBnActSpec,
  EdgeResidualSpec,
  MaxPoolSpec,
  MqaSpec,
  UirSpec,
} from './block-spec.js';
export { decodeStages, parseBlockSpec } from './block-spec.js';
export { blockHasResidual } from './blocks.js';
export { DropPath, type DropPathArgs, dropPathRate } from './drop-path.js';
export { buildFastCnn, FAST_CNN, FAST_CNN_HEAD_LAYERS, FAST_CNN_INFO, FAST_CNN_SPEC } from './fast-cnn.js';
export type { FlattenDenseHeadSpec, HeadSpec, PooledConvHeadSpec } from './head.js';
export { CLASSIFIER_LAYER } from './head.js';
export { layerSeed } from './initializers.js';
export { LayerScale, type LayerScaleArgs } from './layer-scale.js';
export { makeDivisible, roundChannels } from './make-divisible.js';
export {
  buildMobileNetV4ConvSmall,
  buildMobileNetV4HybridMedium,
  MOBILENETV4_CONV_SMALL,
  MOBILENETV4_CONV_SMALL_HEAD_LAYERS,
  MOBILENETV4_CONV_SMALL_INFO,
  MOBILENETV4_CONV_SMALL_SPEC,
  MOBILENETV4_CONV_SMALL_VARIANTS,
  MOBILENETV4_HYBRID_MEDIUM,
  MOBILENETV4_HYBRID_MEDIUM_HEAD_LAYERS,
  MOBILENETV4_HYBRID_MEDIUM_INFO,
  MOBILENETV4_HYBRID_MEDIUM_SPEC,
  type MobileNetV4ConvSmallVariant,
  mobileNetV4ConvSmallVariant,
  mobileNetV4ConvSmallVariantInfo,
} from './mobilenetv4.js';
export type { NetworkSpec, StemSpec } from './network-builder.js';
export { buildNetwork } from './network-builder.js';
export type { RegisterOptions } from './registry.js';
export { buildModel, getArchitecture, listArchitectures, registerArchitecture } from './registry.js';
export {
  buildSmallCnn,
  SMALL_CNN,
  SMALL_CNN_HEAD_LAYERS,
  SMALL_CNN_INFO,
  SMALL_CNN_SPEC,
} from './small-cnn.js';
export type { TransferReport } from './transfer.js';
export { transferWeights } from './transfer.js';
export type { Architecture, ArchitectureBuilder, ArchitectureInfo, ModelBuildOptions } from './types.js';
export { validateBuildOptions } from './validate-options.js';
