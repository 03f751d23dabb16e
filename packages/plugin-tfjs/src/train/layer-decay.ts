import { MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

const STEM_RE = /^(?:conv_stem|bn1)/;
const BLOCK_RE = /^blocks\.(\d+)\.(\d+)/;

/**
 * Sort key of a layer's group under timm's MobileNetV3/V4 `group_matcher(coarse=False)`: the stem
 * (`^conv_stem|bn1`) is `[0]`, block `blocks.<stage>.<block>` is `[1, stage, block]`, and anything
 * else — the head: `conv_head`, `norm_head`, `classifier`, `pre_logits.fc` — is unmatched, which
 * timm sorts last (`[∞]`).
 */
export function layerGroupKey(layerName: string): number[] {
  if (STEM_RE.test(layerName)) return [0];
  const block = BLOCK_RE.exec(layerName);
  if (block) return [1, Number(block[1]), Number(block[2])];
  return [Number.POSITIVE_INFINITY];
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** One learning-rate group of {@link layerDecayGroups}. */
export interface LayerDecayGroup {
  /** timm's layer id: 0 for the lowest group (the stem), `numLayers − 1` for the head. */
  id: number;
  /** Learning-rate multiplier: `layerDecay^(numLayers − 1 − id)`. */
  scale: number;
  /** Layers (with trainable weights) in the group, in model order. */
  layers: string[];
}

/** Per-parameter learning-rate scales of layer-wise decay. */
export interface LayerDecayScales {
  /** Groups, lowest first. */
  groups: LayerDecayGroup[];
  /** Scale of every trainable variable of the model. */
  scales: Map<tf.Variable, number>;
}

/**
 * Layer-wise learning-rate decay as timm's `param_groups_layer_decay` does it for MobileNetV3/V4:
 * the model's parameters are grouped by {@link layerGroupKey} (stem, one group per block, then the
 * head), the groups that own parameters are numbered 0…numLayers−1 in key order, and group `id`
 * trains at `layerDecay^(numLayers − 1 − id)` times the scheduled rate — the head at the full
 * rate, each block below at `layerDecay` times the one above, the stem lowest. Weight-decay
 * exclusions are independent of this (timm splits each group into decay/no-decay).
 *
 * Every trainable weight is grouped, frozen or not, so the numbering — hence every scale — does
 * not depend on what is frozen, as in timm (whose layer map covers all named parameters).
 */
export function layerDecayGroups(model: LayersModel, layerDecay: number): LayerDecayScales {
  if (!(layerDecay > 0 && layerDecay <= 1))
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `layerDecay must be in (0, 1], got ${layerDecay}`, {
      hint: 'Set train.layerDecay to a value in (0, 1], or leave it out.',
    });
  const byKey = new Map<string, { key: number[]; layers: LayersModel['layers'] }>();
  for (const layer of model.layers) {
    if (layer.trainableWeights.length === 0) continue;
    const key = layerGroupKey(layer.name);
    const id = key.join(',');
    const entry = byKey.get(id) ?? { key, layers: [] };
    entry.layers.push(layer);
    byKey.set(id, entry);
  }
  const ordered = [...byKey.values()].sort((a, b) => compareKeys(a.key, b.key));
  const layerMax = ordered.length - 1;
  const groups: LayerDecayGroup[] = [];
  const scales = new Map<tf.Variable, number>();
  ordered.forEach((entry, id) => {
    const scale = layerDecay ** (layerMax - id);
    groups.push({ id, scale, layers: entry.layers.map((l) => l.name) });
    for (const layer of entry.layers) {
      for (const weight of layer.trainableWeights) {
        const value = weight.read();
        if (value instanceof tf.Variable) scales.set(value, scale);
      }
    }
  });
  return { groups, scales };
}
