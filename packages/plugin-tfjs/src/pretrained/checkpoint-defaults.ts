import type { ConfigDefaultsEnv, PluginConfigDefaults } from '@mlops/core';
import { MlopsError } from '@mlops/core';
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
 * architecture, input size and channels, normalization, interpolation and crop from its
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
  const config = await readCheckpointConfig(locateTimmCheckpoint(spec, { ...options, root: env.root }));
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
      },
      data: {
        normalize: { mean: [...config.mean], std: [...config.std] },
        interpolation: config.interpolation,
        cropPct: config.cropPct,
      },
    },
  };
}
