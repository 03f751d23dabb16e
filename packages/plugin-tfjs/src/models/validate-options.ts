import type { ModelBuildOptions } from './types.js';

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`ModelBuildOptions.${name} must be a positive integer, got ${value}`);
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
    throw new Error(`ModelBuildOptions.widthMultiplier must be a finite number > 0, got ${widthMultiplier}`);
  }
  if (dropout !== undefined && !(dropout >= 0 && dropout < 1)) {
    throw new Error(`ModelBuildOptions.dropout must be in [0, 1), got ${dropout}`);
  }
  if (dropPath !== undefined && !(dropPath >= 0 && dropPath < 1)) {
    throw new Error(`ModelBuildOptions.dropPath must be in [0, 1), got ${dropPath}`);
  }
  if (seed !== undefined && !Number.isFinite(seed)) {
    throw new Error(`ModelBuildOptions.seed must be a finite number, got ${seed}`);
  }
}
