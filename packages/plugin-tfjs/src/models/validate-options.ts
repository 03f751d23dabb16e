import { MlopsError } from '@mlops/core';
import type { ModelBuildOptions } from './types.js';

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `ModelBuildOptions.${name} must be a positive integer, got ${value}`,
      {
        hint:
          name === 'numClasses'
            ? 'The data needs at least one class folder.'
            : `Set model.${name} to a positive integer in mlops.config.ts.`,
      },
    );
  }
}

/**
 * Checks build options up front so a bad value fails with a message naming the option, instead
 * of an opaque tfjs shape error deep inside layer construction.
 */
export function validateBuildOptions(opts: ModelBuildOptions): void {
  positiveInt('numClasses', opts.numClasses);
  positiveInt('inputSize', opts.inputSize);
  positiveInt('inputChannels', opts.inputChannels);
  const { widthMultiplier, dropout, dropPath, seed } = opts;
  if (widthMultiplier !== undefined && !(Number.isFinite(widthMultiplier) && widthMultiplier > 0)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `ModelBuildOptions.widthMultiplier must be a finite number > 0, got ${widthMultiplier}`,
      { hint: 'Set model.widthMultiplier to a number > 0 (1 is the published size).' },
    );
  }
  if (dropout !== undefined && !(dropout >= 0 && dropout < 1)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `ModelBuildOptions.dropout must be in [0, 1), got ${dropout}`,
      { hint: 'Set model.dropout to a value in [0, 1).' },
    );
  }
  if (dropPath !== undefined && !(dropPath >= 0 && dropPath < 1)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `ModelBuildOptions.dropPath must be in [0, 1), got ${dropPath}`,
      { hint: 'Set model.dropPath to a value in [0, 1).' },
    );
  }
  if (seed !== undefined && !Number.isFinite(seed)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `ModelBuildOptions.seed must be a finite number, got ${seed}`,
      { hint: 'Set train.seed to a finite number.' },
    );
  }
}
