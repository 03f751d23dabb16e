import type { ConfigDefaultsEnv, PluginConfigDefaults } from '@mlops/core';
import { isMlopsError, MlopsError } from '@mlops/core';
import { listArchitectures } from '../models/registry.js';
import type { LocateOptions } from './timm-checkpoint.js';
import {
  checkpointSpecOf,
  isTimmCheckpointSpec,
  locateTimmCheckpoint,
  readCheckpointConfig,
} from './timm-checkpoint.js';

/**
 * The config defaults a timm checkpoint implies (plugin-tfjs's `configDefaults` hook): the
 * architecture (and a recorded channel multiplier), input size and channels, normalization, interpolation and crop from its
 * `config.json` (timm's `pretrained_cfg`). They sit below everything the user wrote, so a config
 * that sets `model.inputSize: 96` trains at 96 from 224-pixel weights. Undefined when the config
 * names no timm checkpoint, or the checkpoint has no `config.json`.
 */
export async function checkpointConfigDefaults(
  values: Readonly<Record<string, unknown>>,
  env: Pick<ConfigDefaultsEnv, 'root' | 'isSet'>,
  options: Omit<LocateOptions, 'root'> = {},
): Promise<PluginConfigDefaults | undefined> {
  const model = (values.model ?? {}) as Record<string, unknown>;
  const spec = checkpointSpecOf(model);
  if (!spec || !isTimmCheckpointSpec(spec, env.root)) return undefined;
  let config: Awaited<ReturnType<typeof readCheckpointConfig>>;
  try {
    config = await readCheckpointConfig(locateTimmCheckpoint(spec, { ...options, root: env.root }));
  } catch (error) {
    // Commands that only read the config (runs list, registry show, serve) must not need the Hub:
    // the defaults are left out with a warning, and a run stops at the model stage with this error.
    if (
      !isMlopsError(error, 'MLOPS_ERR_CHECKPOINT_UNAVAILABLE') &&
      !isMlopsError(error, 'MLOPS_ERR_REMOTE_AUTH')
    ) {
      throw error;
    }
    options.log?.(
      `warning: ${(error as Error).message}; the checkpoint's architecture and preprocessing are not applied`,
    );
    return undefined;
  }
  if (!config) return undefined;
  if (!env.isSet('model.architecture') && !listArchitectures().includes(config.architecture)) {
    throw new MlopsError(
      'MLOPS_ERR_CHECKPOINT_MISMATCH',
      `${spec} is a ${config.architecture}, which the model zoo does not have`,
      {
        hint: `the zoo has ${listArchitectures().join(', ')}; register the architecture (registerArchitecture) or pick a checkpoint of one of these`,
      },
    );
  }
  return {
    source: `checkpoint ${spec}`,
    values: {
      model: {
        architecture: config.architecture,
        inputSize: config.inputSize,
        inputChannels: config.inputChannels === 1 ? 1 : 3,
        ...(config.channelMultiplier !== undefined ? { widthMultiplier: config.channelMultiplier } : {}),
      },
      data: {
        normalize: { mean: [...config.mean], std: [...config.std] },
        interpolation: config.interpolation,
        cropPct: config.cropPct,
      },
    },
  };
}
