/** Flattening nested JSON into key paths, for diffs a person can read line by line. */
import type { Json } from '../util/json.js';

/**
 * Leaves of a JSON value by key path: `train.optimizer.lr`, `data.classes[2]`. Empty objects and
 * arrays are leaves themselves, so `{ a: {} }` and `{}` still differ.
 */
export function flattenJson(value: Json, prefix = ''): Record<string, Json> {
  const out: Record<string, Json> = {};
  const visit = (v: Json, path: string): void => {
    if (Array.isArray(v) && v.length > 0) {
      for (const [i, item] of v.entries()) visit(item, `${path}[${i}]`);
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [key, item] of Object.entries(v)) visit(item, path === '' ? key : `${path}.${key}`);
    } else {
      out[path] = v;
    }
  };
  visit(value, prefix);
  return out;
}
