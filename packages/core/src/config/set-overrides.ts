import { parse as parseYaml } from 'yaml';
import { MlopsError } from '../errors.js';
import { type ConfigLayer, setPath } from './config-layers.js';

/** The key syntax of `--set` (and of `sweep.parameters` keys): dotted identifiers, `train.lr`. */
export const SET_PATH_PATTERN = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

/**
 * Turns CLI overrides (`--set train.lr=0.002 --set train.betas=[0.9,0.99]`) into a config layer.
 * Values are parsed as YAML scalars/flow collections, so numbers, booleans and lists work.
 */
export function overridesLayer(overrides: readonly string[]): ConfigLayer {
  const values: Record<string, unknown> = {};
  for (const override of overrides) {
    const eq = override.indexOf('=');
    const path = eq < 0 ? '' : override.slice(0, eq).trim();
    if (!SET_PATH_PATTERN.test(path)) {
      throw new MlopsError('MLOPS_ERR_USAGE', `--set "${override}": expected key.path=value`, {
        hint: 'for example --set train.lr=0.002',
      });
    }
    const raw = override.slice(eq + 1);
    let value: unknown;
    try {
      value = raw.trim() === '' ? '' : parseYaml(raw);
    } catch {
      value = raw;
    }
    setPath(values, path, value);
  }
  return { source: '--set', values };
}
