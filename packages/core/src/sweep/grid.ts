/**
 * Grid search: every combination of the parameters' values, in a fixed order (the first parameter
 * varies slowest), so trial `i` of a resumed sweep is the same point as before.
 */
import { MlopsError } from '../errors.js';
import type { ParameterDomain, TrialParams } from './search-space.js';
import type { SweepValue } from './sweep-spec.js';

/** The values a grid takes for one parameter. */
function gridValues(domain: ParameterDomain): SweepValue[] {
  switch (domain.kind) {
    case 'constant':
      return [domain.value];
    case 'categorical':
      return domain.choices;
    case 'numeric': {
      if (domain.q !== 1 || domain.log) {
        throw new MlopsError(
          'MLOPS_ERR_CONFIG_INVALID',
          `sweep.parameters.${domain.path}: grid search needs values, not a continuous distribution`,
          { hint: `list them: '${domain.path}': { values: [...] }` },
        );
      }
      const values: number[] = [];
      for (let v = Math.ceil(domain.low); v <= Math.floor(domain.high + 0.5); v++) values.push(v);
      return values;
    }
  }
}

/** The number of grid points. */
export function gridSize(space: readonly ParameterDomain[]): number {
  return space.reduce((n, domain) => n * gridValues(domain).length, 1);
}

/** Grid point `index` (0-based, `< gridSize`). */
export function gridPoint(space: readonly ParameterDomain[], index: number): TrialParams {
  const params: TrialParams = {};
  let rest = index;
  for (let i = space.length - 1; i >= 0; i--) {
    const domain = space[i] as ParameterDomain;
    const values = gridValues(domain);
    params[domain.path] = values[rest % values.length] as SweepValue;
    rest = Math.floor(rest / values.length);
  }
  // Keep the parameters' order of the spec in the object.
  return Object.fromEntries(space.map((d) => [d.path, params[d.path] as SweepValue]));
}
