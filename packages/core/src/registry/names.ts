/**
 * Model and alias names. They become directory names and parts of URLs
 * (`/v1/models/:name[:alias]/predict`), so they are restricted to a portable, URL-safe set.
 */
import { MlopsError } from '../errors.js';

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const MAX_LENGTH = 100;

/** Throws `MLOPS_ERR_USAGE` unless `name` is a valid model name (`[a-z0-9][a-z0-9._-]*`). */
export function assertModelName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name) || name.length > MAX_LENGTH) {
    throw new MlopsError('MLOPS_ERR_USAGE', `invalid model name ${JSON.stringify(name)}`, {
      hint: `Use at most ${MAX_LENGTH} lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, e.g. "fashion-mnist-classifier".`,
    });
  }
}

/**
 * Throws `MLOPS_ERR_USAGE` unless `alias` is a valid alias: the model-name rule, and not all
 * digits, so `model:3` always means version 3 and never an alias.
 */
export function assertAliasName(alias: string): void {
  if (typeof alias !== 'string' || !NAME.test(alias) || alias.length > MAX_LENGTH || /^\d+$/.test(alias)) {
    throw new MlopsError('MLOPS_ERR_USAGE', `invalid alias name ${JSON.stringify(alias)}`, {
      hint: `Use at most ${MAX_LENGTH} lowercase letters, digits, ".", "_" and "-", starting with a letter or digit and not only digits, e.g. "production".`,
    });
  }
}
