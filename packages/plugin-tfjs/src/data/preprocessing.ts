import type { ResolvedConfig } from '@mlops/core';
import type { ChannelStats } from './normalize.js';
import { resolveNormalize } from './normalize-config.js';
import type { Interpolation, ResizeRecipe } from './resize.js';
import { resizeRecipeOf } from './resize.js';

/**
 * What turns an image into a model input — the one description the training pipeline, the
 * exporters' metadata (`preprocessing.json`, ONNX `mlops.preprocessing`) and the serving runtimes
 * share: square size, channels, the resize recipe, and mean/std per channel for pixels in [0, 1].
 */
export interface InputPreprocessing extends ChannelStats {
  /** Square input size. */
  size: number;
  /** Channels the model takes. */
  channels: 1 | 3;
  /** `cover` (central square) or `timm` (resize the shorter side, centre crop); see `ResizeRecipe`. */
  resize: ResizeRecipe['mode'];
  /** With `timm`: the crop fraction. */
  cropPct?: number;
  /** With `timm`: the resampling filter. */
  interpolation?: Interpolation;
}

/** The input preprocessing a resolved config trains with. */
export function preprocessingOf(config: Pick<ResolvedConfig, 'model' | 'data'>): InputPreprocessing {
  const { mean, std } = resolveNormalize(config.data.normalize, config.model.inputChannels);
  const recipe = resizeRecipeOf(config.data);
  return {
    size: config.model.inputSize,
    channels: config.model.inputChannels,
    mean,
    std,
    ...(recipe.mode === 'timm'
      ? { resize: 'timm', cropPct: recipe.cropPct, interpolation: recipe.interpolation }
      : { resize: 'cover' }),
  };
}

/** The resize recipe of a preprocessing description. */
export function resizeRecipeOfPreprocessing(
  p: Pick<InputPreprocessing, 'resize' | 'cropPct' | 'interpolation'>,
): ResizeRecipe {
  return p.resize === 'timm'
    ? { mode: 'timm', cropPct: p.cropPct ?? 1, interpolation: p.interpolation ?? 'bilinear' }
    : { mode: 'cover' };
}

/**
 * Checks the resize fields of a stored preprocessing description (`resize`, `cropPct`,
 * `interpolation`); returns a message naming the problem, or undefined when they are valid.
 */
export function resizeFieldsProblem(p: {
  resize?: unknown;
  cropPct?: unknown;
  interpolation?: unknown;
}): string | undefined {
  if (p.resize === undefined || p.resize === 'cover') return undefined;
  if (p.resize !== 'timm') return `unsupported "resize" ${JSON.stringify(p.resize)} (cover or timm)`;
  if (typeof p.cropPct !== 'number' || !(p.cropPct > 0 && p.cropPct <= 1)) {
    return `"cropPct" must be in (0, 1], got ${JSON.stringify(p.cropPct)}`;
  }
  if (p.interpolation !== 'bilinear' && p.interpolation !== 'bicubic') {
    return `"interpolation" must be bilinear or bicubic, got ${JSON.stringify(p.interpolation)}`;
  }
  return undefined;
}
