import { input, type LayersModel, model } from '@tensorflow/tfjs-layers';
import { decodeStages } from './block-spec.js';
import { buildBlock } from './blocks.js';
import { dropPathRate } from './drop-path.js';
import { buildHead, type HeadSpec } from './head.js';
import { convBn } from './layer-helpers.js';
import { roundChannels } from './make-divisible.js';
import type { ModelBuildOptions } from './types.js';
import { validateBuildOptions } from './validate-options.js';

/** Stem convolution (`conv_stem` → `bn1` → ReLU). */
export interface StemSpec {
  readonly kernel: number;
  readonly stride: number;
  readonly channels: number;
  /**
   * Keep the stem width when the width multiplier is below 1 (timm MobileNetV4's
   * `fix_stem = channel_multiplier < 1.0`): a thinner stem costs accuracy for little speed.
   */
  readonly fixWhenNarrow: boolean;
}

/** A whole network as data: optional stem, stages of block strings, head and default dropout. */
export interface NetworkSpec {
  readonly stem?: StemSpec;
  /** Stages of block strings in the `block-spec` language; layer names are `blocks.<stage>.<index>`. */
  readonly stages: readonly (readonly string[])[];
  readonly head: HeadSpec;
  /** Dropout before the classifier when `ModelBuildOptions.dropout` is not given. */
  readonly defaultDropout: number;
  /**
   * timm's `layer_scale_init_value` (1e-5 in the MobileNetV4 hybrids): every `uir` and `mqa` block
   * ends with a `LayerScale` whose gamma starts at this value. Absent: no layer scale.
   */
  readonly layerScaleInit?: number;
}

/**
 * Builds a functional tfjs-layers model from a network spec. Layer names mirror timm module paths
 * (`conv_stem`, `bn1`, `blocks.2.0.dw_start.conv`, `conv_head`, `classifier`, …) so weights can be
 * transferred by name, and ported from timm checkpoints. The output is logits (no softmax).
 *
 * With `opts.dropPath` > 0, residual blocks get a `DropPath` (`blocks.<s>.<b>.drop_path`) whose
 * rate rises linearly with the block's index over the whole network, as timm's
 * `drop_path_rate · block_idx / total_blocks`; it has no weights, so checkpoints transfer as before.
 */
export function buildNetwork(name: string, spec: NetworkSpec, opts: ModelBuildOptions): LayersModel {
  validateBuildOptions(opts);
  const widthMultiplier = opts.widthMultiplier ?? 1;
  const { seed } = opts;
  const inputs = input({ shape: [opts.inputSize, opts.inputSize, opts.inputChannels], name: 'input' });
  let x = inputs;
  if (spec.stem) {
    const fixed = spec.stem.fixWhenNarrow && widthMultiplier < 1;
    const filters = fixed ? spec.stem.channels : roundChannels(spec.stem.channels, widthMultiplier);
    const { kernel, stride } = spec.stem;
    x = convBn(x, { convName: 'conv_stem', bnName: 'bn1', kernel, stride, filters, relu: true, seed });
  }
  const stages = decodeStages(spec.stages);
  // Stochastic depth rises linearly over all blocks of the network, as timm's EfficientNetBuilder.
  const totalBlocks = stages.reduce((n, stage) => n + stage.length, 0);
  let blockNumber = 0;
  stages.forEach((stage, stageIndex) => {
    stage.forEach((block, blockIndex) => {
      const dropPath = dropPathRate(opts.dropPath ?? 0, blockNumber++, totalBlocks);
      const name = `blocks.${stageIndex}.${blockIndex}`;
      const layerScale = spec.layerScaleInit;
      x = buildBlock(x, block, {
        name,
        widthMultiplier,
        seed,
        dropPath,
        ...(layerScale === undefined ? {} : { layerScale }),
      });
    });
  });
  const dropout = opts.dropout ?? spec.defaultDropout;
  const logits = buildHead(x, spec.head, { numClasses: opts.numClasses, dropout, seed });
  return model({ inputs, outputs: logits, name });
}
