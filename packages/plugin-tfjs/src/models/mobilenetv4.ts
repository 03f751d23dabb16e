import type { LayersModel } from '@tensorflow/tfjs-layers';
import { CLASSIFIER_LAYER } from './head.js';
import { buildNetwork, type NetworkSpec } from './network-builder.js';
import type { ArchitectureInfo, ModelBuildOptions } from './types.js';

/** Registry name of MobileNetV4-Conv-Small. */
export const MOBILENETV4_CONV_SMALL = 'mobilenetv4_conv_small';

/** Layers of MobileNetV4-Conv-Small that depend on the class count. */
export const MOBILENETV4_CONV_SMALL_HEAD_LAYERS: readonly string[] = [CLASSIFIER_LAYER];

/**
 * MobileNetV4-Conv-Small exactly as timm's `_gen_mobilenet_v4('mobilenetv4_conv_small')`:
 * ReLU everywhere, BN eps 1e-5, no layer scale, stem fixed at 32 for width < 1, and a head whose
 * 1×1 conv has no bias and is followed by BN + ReLU (`head_norm=True`, `head_bias=False`).
 * 3.77M parameters at 1000 classes (timm's model card: 3.8M).
 */
export const MOBILENETV4_CONV_SMALL_SPEC: NetworkSpec = {
  stem: { kernel: 3, stride: 2, channels: 32, fixWhenNarrow: true },
  stages: [
    // stage 0, 112×112 in
    ['cn_r1_k3_s2_e1_c32', 'cn_r1_k1_s1_e1_c32'],
    // stage 1, 56×56 in
    ['cn_r1_k3_s2_e1_c96', 'cn_r1_k1_s1_e1_c64'],
    // stage 2, 28×28 in: ExtraDW, 4× IR, ConvNeXt-like
    ['uir_r1_a5_k5_s2_e3_c96', 'uir_r4_a0_k3_s1_e2_c96', 'uir_r1_a3_k0_s1_e4_c96'],
    // stage 3, 14×14 in: 2× ExtraDW, 4× IR
    [
      'uir_r1_a3_k3_s2_e6_c128',
      'uir_r1_a5_k5_s1_e4_c128',
      'uir_r1_a0_k5_s1_e4_c128',
      'uir_r1_a0_k5_s1_e3_c128',
      'uir_r2_a0_k3_s1_e4_c128',
    ],
    // stage 4, 7×7 in
    ['cn_r1_k1_s1_c960'],
  ],
  head: { kind: 'pooled_conv', hiddenChannels: 1280, norm: true },
  defaultDropout: 0.2,
};

/** Facts about MobileNetV4-Conv-Small for the registry. */
export const MOBILENETV4_CONV_SMALL_INFO: ArchitectureInfo = {
  description: 'MobileNetV4-Conv-Small (timm definition), 3.8M params @1000 classes; downsamples 32×',
  headLayers: MOBILENETV4_CONV_SMALL_HEAD_LAYERS,
  defaultInputSize: 224,
  preferredInputChannels: 3,
  pretrainedHubId: 'timm/mobilenetv4_conv_small.e2400_r224_in1k',
};

/**
 * timm's narrow MobileNetV4-Conv-Small variants: the same blocks at a channel multiplier (the
 * stem stays 32 wide and the head's 1280-channel conv is not scaled, as in timm). Names, widths
 * and state-dict keys are timm's, so their checkpoints load as they are.
 */
export const MOBILENETV4_CONV_SMALL_VARIANTS = {
  mobilenetv4_conv_small_050: {
    multiplier: 0.5,
    params: '2.2M',
    pretrainedHubId: 'timm/mobilenetv4_conv_small_050.e3000_r224_in1k',
  },
  mobilenetv4_conv_small_035: { multiplier: 0.35, params: '1.9M', pretrainedHubId: undefined },
} as const satisfies Record<
  string,
  { multiplier: number; params: string; pretrainedHubId: string | undefined }
>;

/** Registry name of a narrow MobileNetV4-Conv-Small variant. */
export type MobileNetV4ConvSmallVariant = keyof typeof MOBILENETV4_CONV_SMALL_VARIANTS;

/** The registry info of a narrow variant. */
export function mobileNetV4ConvSmallVariantInfo(variant: MobileNetV4ConvSmallVariant): ArchitectureInfo {
  const { multiplier, params, pretrainedHubId } = MOBILENETV4_CONV_SMALL_VARIANTS[variant];
  return {
    ...MOBILENETV4_CONV_SMALL_INFO,
    description: `MobileNetV4-Conv-Small ×${multiplier} (timm ${variant}), ${params} params @1000 classes`,
    pretrainedHubId,
  };
}

/**
 * A builder of a narrow variant: MobileNetV4-Conv-Small at the variant's channel multiplier
 * (times `widthMultiplier`, when one is given).
 */
export function mobileNetV4ConvSmallVariant(
  variant: MobileNetV4ConvSmallVariant,
): (opts: ModelBuildOptions) => LayersModel {
  const { multiplier } = MOBILENETV4_CONV_SMALL_VARIANTS[variant];
  return (opts) =>
    buildNetwork(variant, MOBILENETV4_CONV_SMALL_SPEC, {
      ...opts,
      widthMultiplier: multiplier * (opts.widthMultiplier ?? 1),
    });
}

/**
 * Builds MobileNetV4-Conv-Small. Works from tiny inputs (28, 32) upward: strided layers output
 * `ceil(n / 2)`, so a 28×28 image reaches a 1×1 map instead of vanishing. Outputs logits.
 */
export function buildMobileNetV4ConvSmall(opts: ModelBuildOptions): LayersModel {
  return buildNetwork(MOBILENETV4_CONV_SMALL, MOBILENETV4_CONV_SMALL_SPEC, opts);
}

/** Registry name of MobileNetV4-Hybrid-Medium. */
export const MOBILENETV4_HYBRID_MEDIUM = 'mobilenetv4_hybrid_medium';

/** Layers of MobileNetV4-Hybrid-Medium that depend on the class count. */
export const MOBILENETV4_HYBRID_MEDIUM_HEAD_LAYERS: readonly string[] = [CLASSIFIER_LAYER];

/**
 * MobileNetV4-Hybrid-Medium exactly as timm's `_gen_mobilenet_v4('mobilenetv4_hybrid_medium')`:
 * a FusedIB stem block, ExtraDW / ConvNeXt-like / FFN universal inverted residuals, and mobile
 * multi-query attention in the last two stages (with 2× key/value down-sampling at 28×28 /
 * stage 2); ReLU, BN eps 1e-5, layer scale (init 1e-5) on every `uir` and `mqa` block, stem fixed
 * at 32 for width < 1, and the MobileNetV4 head (1×1 conv without bias + BN + ReLU). 11.07M
 * parameters at 1000 classes (timm's model card: 11.1M).
 */
export const MOBILENETV4_HYBRID_MEDIUM_SPEC: NetworkSpec = {
  stem: { kernel: 3, stride: 2, channels: 32, fixWhenNarrow: true },
  stages: [
    // stage 0, 112×112 in: FusedIB
    ['er_r1_k3_s2_e4_c48'],
    // stage 1, 56×56 in: 2× ExtraDW
    ['uir_r1_a3_k5_s2_e4_c80', 'uir_r1_a3_k3_s1_e2_c80'],
    // stage 2, 28×28 in: ExtraDW, FFN, 2× ExtraDW, then MQA (key/value stride 2) interleaved
    [
      'uir_r1_a3_k5_s2_e6_c160',
      'uir_r1_a0_k0_s1_e2_c160',
      'uir_r1_a3_k3_s1_e4_c160',
      'uir_r1_a3_k5_s1_e4_c160',
      'mqa_r1_k3_h4_s1_v2_d64_c160',
      'uir_r1_a3_k3_s1_e4_c160',
      'mqa_r1_k3_h4_s1_v2_d64_c160',
      'uir_r1_a3_k0_s1_e4_c160',
      'mqa_r1_k3_h4_s1_v2_d64_c160',
      'uir_r1_a3_k3_s1_e4_c160',
      'mqa_r1_k3_h4_s1_v2_d64_c160',
      'uir_r1_a3_k0_s1_e4_c160',
    ],
    // stage 3, 14×14 in: ExtraDW / FFN, then MQA (no down-sampling) interleaved with ConvNeXt-like
    [
      'uir_r1_a5_k5_s2_e6_c256',
      'uir_r1_a5_k5_s1_e4_c256',
      'uir_r2_a3_k5_s1_e4_c256',
      'uir_r1_a0_k0_s1_e2_c256',
      'uir_r1_a3_k5_s1_e2_c256',
      'uir_r1_a0_k0_s1_e2_c256',
      'uir_r1_a0_k0_s1_e4_c256',
      'mqa_r1_k3_h4_s1_d64_c256',
      'uir_r1_a3_k0_s1_e4_c256',
      'mqa_r1_k3_h4_s1_d64_c256',
      'uir_r1_a5_k5_s1_e4_c256',
      'mqa_r1_k3_h4_s1_d64_c256',
      'uir_r1_a5_k0_s1_e4_c256',
      'mqa_r1_k3_h4_s1_d64_c256',
      'uir_r1_a5_k0_s1_e4_c256',
    ],
    // stage 4, 7×7 in
    ['cn_r1_k1_s1_c960'],
  ],
  head: { kind: 'pooled_conv', hiddenChannels: 1280, norm: true },
  defaultDropout: 0.2,
  layerScaleInit: 1e-5,
};

/** Facts about MobileNetV4-Hybrid-Medium for the registry. */
export const MOBILENETV4_HYBRID_MEDIUM_INFO: ArchitectureInfo = {
  description:
    'MobileNetV4-Hybrid-Medium (timm definition: conv + mobile multi-query attention), 11.1M params @1000 classes; downsamples 32×',
  headLayers: MOBILENETV4_HYBRID_MEDIUM_HEAD_LAYERS,
  defaultInputSize: 256,
  preferredInputChannels: 3,
  pretrainedHubId: 'timm/mobilenetv4_hybrid_medium.e200_r256_in12k_ft_in1k',
};

/**
 * Builds MobileNetV4-Hybrid-Medium. Outputs logits. Works on small inputs too (strided layers
 * output `ceil(n / 2)`; attention over a 1×1 map is the identity mixing of one position).
 */
export function buildMobileNetV4HybridMedium(opts: ModelBuildOptions): LayersModel {
  return buildNetwork(MOBILENETV4_HYBRID_MEDIUM, MOBILENETV4_HYBRID_MEDIUM_SPEC, opts);
}
