import { pixelPreprocessing } from '../data/preprocess-pixels.js';
import { MlopsError } from '../errors.js';
import type { DataConfig, NormalizeConfig, ResolvedConfig } from './types.js';

/** Resampling filters of the input resize, as PIL (and so timm) define them. */
export type Interpolation = 'bilinear' | 'bicubic';

/**
 * How images become the model's square input:
 * - `cover`: the central square, resampled to the input size with an antialiased bilinear
 *   filter (the default recipe);
 * - `timm`: timm's eval transform — resize the shorter side to `floor(size / cropPct)` with the
 *   given filter, then cut out the centre `size` square — so a model loaded from timm weights
 *   sees what timm's model would, in training, evaluation and serving alike.
 */
export type ResizeRecipe =
  | { readonly mode: 'cover' }
  | { readonly mode: 'timm'; readonly cropPct: number; readonly interpolation: Interpolation };

/** Per-channel normalization for pixels in [0, 1], one value per channel. */
export interface ChannelStats {
  /** Mean per channel. */
  mean: number[];
  /** Standard deviation per channel. */
  std: number[];
}

/**
 * What turns an image into a model input — the one description that training, the exporters'
 * metadata (`preprocessing.json`, ONNX `mlops.preprocessing`), the registry and the serving
 * runtimes share: square size, channels, mean/std per channel, and the resize recipe.
 */
export interface InputPreprocessing extends ChannelStats {
  /** Square input size. */
  size: number;
  /** Channels the model takes. */
  channels: 1 | 3;
  /** `cover` (central square) or `timm` (resize the shorter side, centre crop); see {@link ResizeRecipe}. */
  resize: ResizeRecipe['mode'];
  /** With `timm`: the crop fraction. */
  cropPct?: number;
  /** With `timm`: the resampling filter. */
  interpolation?: Interpolation;
}

/** The recipe of a config's `data` section: `timm` when it sets a crop or an interpolation, else `cover`. */
export function resizeRecipeOf(data: Pick<DataConfig, 'cropPct' | 'interpolation'>): ResizeRecipe {
  if (data.cropPct === undefined && data.interpolation === undefined) return { mode: 'cover' };
  return { mode: 'timm', cropPct: data.cropPct ?? 1, interpolation: data.interpolation ?? 'bilinear' };
}

/**
 * The resize recipe of a stored preprocessing description (`timm` with crop 1 and bilinear unless
 * given, else `cover`). Defined with the pixel preprocessing that runs it (`preprocess-pixels.ts`).
 */
export function resizeRecipeOfPreprocessing(
  p: Partial<Pick<InputPreprocessing, 'resize' | 'cropPct' | 'interpolation'>>,
): ResizeRecipe {
  return pixelPreprocessing.resizeRecipeOfPreprocessing(p);
}

/**
 * The normalization for `channels` channels: `data.normalize` (one value, or one per channel)
 * or the default mean 0.5 / std 0.5. Throws `MLOPS_ERR_CONFIG_INVALID` for a wrong count or a
 * std that is not positive.
 */
export function resolveNormalize(config: NormalizeConfig | undefined, channels: number): ChannelStats {
  const expand = (values: number[] | undefined, fallback: number, name: string): number[] => {
    const list = values === undefined || values.length === 0 ? [fallback] : values;
    if (list.length !== 1 && list.length !== channels) {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `data.normalize.${name} has ${list.length} values for ${channels} channel(s)`,
        { hint: `Give one value, or one per channel (${channels}).` },
      );
    }
    return Array.from({ length: channels }, (_, c) =>
      list.length === 1 ? (list[0] as number) : (list[c] as number),
    );
  };
  const mean = expand(config?.mean, 0.5, 'mean');
  const std = expand(config?.std, 0.5, 'std');
  if (std.some((s) => !(s > 0))) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `data.normalize.std must be positive, got [${std.join(', ')}]`,
      {
        hint: 'Use the dataset’s per-channel standard deviation, e.g. 0.5 or 0.229.',
      },
    );
  }
  return { mean, std };
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
