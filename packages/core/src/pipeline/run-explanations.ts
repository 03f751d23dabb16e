/**
 * What the pipeline tells people about a run: why a stage ran instead of coming from the cache,
 * how a resumed run's config differs from the one it started with, and under which split name
 * evaluation metrics are reported.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { RunRecord } from '../runs/run-record.js';
import type { StageKeyParts } from '../store/stage-cache.js';
import type { Json, JsonObject } from '../util/json.js';
import type { StageName } from './stage-outputs.js';

/**
 * The name evaluation metrics go under: the role of the split evaluated (`test`, `validation`,
 * `train`), so `validation/top1` says the data had no test split. A split the config does not name
 * keeps its own name.
 */
export function evaluationPrefix(split: string, config: ResolvedConfig): string {
  const { splits } = config.data;
  if (split === 'test' || split === splits.test) return 'test';
  if (split === 'validation' || split === splits.validation) return 'validation';
  if (split === 'train' || split === splits.train) return 'train';
  return split;
}

/** A config value that differs between a run's record and the config now. */
export interface ConfigDifference {
  /** Dotted key path (arrays are values, not paths). */
  key: string;
  /** The value the run was started with; undefined when it had none. */
  run: Json | undefined;
  /** The value now; undefined when unset. */
  now: Json | undefined;
}

/** Sections whose differences do not change what a run computes. */
const NOT_COMPARED = new Set(['root', 'sources', 'plugins', 'serve']);

/**
 * The keys whose values differ between a run's recorded config and `now` (both as JSON). A key the
 * run does not have whose value now is the built-in default (`defaults`) is a key a newer version
 * added, not a different setting, and is left out.
 */
export function configDifferences(
  run: JsonObject,
  now: JsonObject,
  defaults?: JsonObject,
): ConfigDifference[] {
  const a = flattenObjects(run);
  const b = flattenObjects(now);
  const d = defaults ? flattenObjects(defaults) : {};
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((key) => !NOT_COMPARED.has(key.split('.')[0] ?? key))
    .filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .filter((key) => !(a[key] === undefined && key in d && JSON.stringify(d[key]) === JSON.stringify(b[key])))
    .sort()
    .map((key) => ({ key, run: a[key], now: b[key] }));
}

/** Leaves of nested objects by dotted path; arrays and scalars are leaves. */
function flattenObjects(
  value: Json | undefined,
  prefix = '',
  out: Record<string, Json> = {},
): Record<string, Json> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (child !== undefined) flattenObjects(child, prefix ? `${prefix}.${key}` : key, out);
    }
  } else if (value !== undefined && prefix) {
    out[prefix] = value;
  }
  return out;
}

/** `--set key=value` that sets `value` again, quoted for a POSIX shell where needed. */
export function formatSetOverride(key: string, value: Json | undefined): string {
  const plain =
    typeof value === 'string' &&
    /^[A-Za-z_/.][\w./@:+-]*$/.test(value) &&
    !/^(true|false|null|yes|no|on|off|~)$/i.test(value)
      ? value
      : JSON.stringify(value);
  const text = `${key}=${plain}`;
  return /^[\w./@:=,+-]+$/.test(text) ? `--set ${text}` : `--set '${text.replace(/'/g, `'\\''`)}'`;
}

/** What {@link whyStageRan} compares. */
export interface WhyStageRanInput {
  /** The stage. */
  stage: StageName;
  /** Its cache key parts now. */
  parts: StageKeyParts;
  /** Its cache key now. */
  cacheKey: string;
  /** The data version now, when known. */
  dataVersion: string | undefined;
  /** Earlier runs of the project, newest first. */
  history: readonly RunRecord[];
  /** The stage's config slice of a config (applied to the earlier run's recorded config). */
  configSlice: (config: ResolvedConfig) => unknown;
}

/** How many changed config keys a reason lists before summing up the rest. */
const MAX_CONFIG_KEYS = 8;

/**
 * Why a stage ran instead of reusing a cached output, compared with the last earlier run of the
 * project in which it ran or was cached: the data version, config keys of its slice, upstream
 * outputs and plugin versions that changed, one line each.
 */
export function whyStageRan(input: WhyStageRanInput): string[] {
  const { stage, parts, cacheKey, history } = input;
  const earlier = history.find((run) => {
    const done = run.stages?.[stage];
    return done !== undefined && (done.status === 'ran' || done.status === 'cached') && done.cacheKey !== '';
  });
  const done = earlier?.stages[stage];
  if (!earlier || !done) return [`no earlier run of the ${stage} stage in this store`];
  if (done.cacheKey === cacheKey) {
    return ['no cached output for these inputs (the cache entry or its artifacts are gone from the store)'];
  }
  const reasons: string[] = [];
  if (stage === 'data' || 'data' in parts.upstream) {
    const before = earlier.dataVersion;
    if (before && input.dataVersion && before !== input.dataVersion) {
      reasons.push(`data version ${short(before)} → ${short(input.dataVersion)}`);
    } else if (
      stage !== 'data' &&
      done.inputs.data !== undefined &&
      done.inputs.data !== parts.upstream.data
    ) {
      reasons.push('data stage output changed (same data version; e.g. skipped or ignored files)');
    }
  }
  if (stage !== 'data') {
    for (const name of Object.keys(parts.upstream)) {
      if (name === 'data' || done.inputs[name] === parts.upstream[name]) continue;
      reasons.push(`${name} stage output changed`);
    }
  }
  const prefix = SLICE_PREFIX[stage];
  const before = flattenObjects(
    toJson(input.configSlice(earlier.config as unknown as ResolvedConfig)),
    prefix,
  );
  const now = flattenObjects(toJson(parts.config), prefix);
  const changed = [...new Set([...Object.keys(before), ...Object.keys(now)])]
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(now[key]))
    .sort();
  for (const key of changed.slice(0, MAX_CONFIG_KEYS)) {
    reasons.push(`config ${key}: ${show(before[key])} → ${show(now[key])}`);
  }
  if (changed.length > MAX_CONFIG_KEYS)
    reasons.push(`and ${changed.length - MAX_CONFIG_KEYS} more config keys`);
  for (const [name, version] of Object.entries(parts.plugins)) {
    const was = earlier.packages?.[name];
    if (was !== undefined && was !== version) reasons.push(`plugin ${name} ${was} → ${version}`);
  }
  const pluginsBefore = new Set(
    ((earlier.config?.plugins ?? []) as { name?: unknown }[]).map((p) => String(p?.name)),
  );
  for (const name of Object.keys(parts.plugins)) {
    if (name !== '@mlops/core' && pluginsBefore.size > 0 && !pluginsBefore.has(name)) {
      reasons.push(`plugin ${name} added`);
    }
  }
  for (const name of pluginsBefore) {
    if (!(name in parts.plugins)) reasons.push(`plugin ${name} removed`);
  }
  return reasons.length > 0 ? reasons : [`inputs changed since run ${earlier.id}`];
}

/** Where a stage's config slice sits in the config, to name its keys in full. */
const SLICE_PREFIX: Readonly<Record<StageName, string>> = {
  data: 'data',
  model: '',
  train: 'train',
  evaluate: 'evaluate',
  export: '',
  serve: 'serve',
};

function toJson(value: unknown): Json | undefined {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as Json);
}

function show(value: Json | undefined): string {
  return value === undefined ? 'unset' : JSON.stringify(value);
}

function short(hash: string): string {
  return hash.slice(0, 12);
}
