/** One source of config values: defaults, a preset, the config file, or `--set`. */
export interface ConfigLayer {
  /** File path, or `defaults` / `--set`. */
  source: string;
  /** Plain values, nested like the config. */
  values: Record<string, unknown>;
}

/** The merged values and, for each dotted key path, the layer that set it last. */
export interface MergedConfig {
  /** Merged plain values. */
  values: Record<string, unknown>;
  /** Dotted path → source of its value. */
  provenance: Map<string, string>;
}

/** A plain object (not an array, class instance or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Deep-merges layers in order: objects merge key by key, anything else (arrays included) is
 * replaced, so `betas: [0.6, 0.995]` in a preset is not mixed with the default's elements.
 */
export function mergeLayers(layers: ConfigLayer[]): MergedConfig {
  const values: Record<string, unknown> = {};
  const provenance = new Map<string, string>();
  const mergeInto = (
    target: Record<string, unknown>,
    source: Record<string, unknown>,
    prefix: string,
    from: string,
  ) => {
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      if (isPlainObject(value)) {
        const existing = target[key];
        const child = isPlainObject(existing) ? existing : {};
        target[key] = child;
        provenance.set(path, from);
        mergeInto(child, value, path, from);
      } else {
        target[key] = value;
        provenance.set(path, from);
      }
    }
  };
  for (const layer of layers) mergeInto(values, layer.values, '', layer.source);
  return { values, provenance };
}

/** Sets `value` at a dotted path, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

/** Deletes the value at a path given as keys; returns whether something was removed. */
export function deletePath(target: Record<string, unknown>, keys: readonly PropertyKey[]): boolean {
  let node: unknown = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node)) return false;
    node = node[key as string];
  }
  const last = keys[keys.length - 1];
  if (!isPlainObject(node) || last === undefined || !(String(last) in node)) return false;
  delete node[String(last)];
  return true;
}

/** The source that set `path` or its nearest parent. */
export function sourceOf(provenance: Map<string, string>, path: string): string {
  let current = path;
  while (current) {
    const found = provenance.get(current);
    if (found) return found;
    const dot = current.lastIndexOf('.');
    current = dot < 0 ? '' : current.slice(0, dot);
  }
  return 'defaults';
}
