/**
 * Keeping the job's config the submitted one. The image carries the config file; the run asked
 * for is the file plus the submitting command's `--set` overrides. The submitting side turns
 * those into `--set` arguments of the job (`configOverrides`: the leaves where the resolved config
 * differs from the file alone), and the job compares its resolved config with the one in
 * `job.json` (`configDifferences`) before it runs anything — an image built from another commit,
 * or with other plugin versions, fails there with the keys that differ instead of training
 * something else.
 */
import type { Json, JsonObject } from '@mlops/core';

/** Keys that legitimately differ between the machine that submits and the job. */
const IGNORED = new Set(['root', 'sources', 'store.remote']);

/** `--set path=value` arguments that turn `base` into `submitted` (see the module comment). */
export function configOverrides(submitted: JsonObject, base: JsonObject): string[] {
  const want = leaves(submitted);
  const have = leaves(base);
  const out: string[] = [];
  for (const [path, value] of Object.entries(want)) {
    if (IGNORED.has(path) || path === 'plugins' || path.startsWith('plugins.')) continue;
    if (JSON.stringify(have[path]) === JSON.stringify(value)) continue;
    if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(path)) continue; // not settable; the job reports it
    out.push(`${path}=${JSON.stringify(value)}`);
  }
  return out;
}

/** Where the two configs differ: `path: submitted → here`, root-relative paths compared. */
export function configDifferences(
  submitted: JsonObject,
  here: JsonObject,
  roots: { submitted: string; here: string },
  ignore: readonly string[] = [],
): string[] {
  const ignored = (path: string) =>
    IGNORED.has(path) || ignore.some((key) => path === key || path.startsWith(`${key}.`));
  const a = leaves(relativize(submitted, roots.submitted) as JsonObject);
  const b = leaves(relativize(here, roots.here) as JsonObject);
  const out: string[] = [];
  for (const path of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (ignored(path)) continue;
    if (JSON.stringify(a[path]) !== JSON.stringify(b[path])) {
      out.push(`${path}: ${show(a[path])} submitted, ${show(b[path])} in the image`);
    }
  }
  return out;
}

/** Leaves by dotted path; arrays are leaves (set whole). */
function leaves(value: JsonObject, prefix = '', out: Record<string, Json> = {}): Record<string, Json> {
  for (const [key, item] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (item !== null && typeof item === 'object' && !Array.isArray(item))
      leaves(item as JsonObject, path, out);
    else out[path] = item;
  }
  return out;
}

/** Replaces the project root in strings by `<root>`, so absolute paths compare across machines. */
function relativize(value: Json, root: string): Json {
  if (typeof value === 'string')
    return root && value.startsWith(root) ? `<root>${value.slice(root.length)}` : value;
  if (Array.isArray(value)) return value.map((v) => relativize(v, root));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relativize(v as Json, root)]));
  }
  return value;
}

function show(value: Json | undefined): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}
