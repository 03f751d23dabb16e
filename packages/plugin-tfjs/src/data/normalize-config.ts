import { MlopsError, type NormalizeConfig } from '@mlops/core';
import type { ChannelStats } from './normalize.js';

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
        {
          hint: `Give one value, or one per channel (${channels}).`,
        },
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
