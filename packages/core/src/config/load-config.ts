import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { createJiti } from 'jiti';
import type { z } from 'zod';
import { MlopsError } from '../errors.js';
import type { MlopsPlugin } from '../plugin/plugin.js';
import {
  type ConfigLayer,
  deletePath,
  isPlainObject,
  type MergedConfig,
  mergeLayers,
  sourceOf,
} from './config-layers.js';
import { configDefaults } from './defaults.js';
import { configSchema } from './schema.js';
import { schemaKeysAt } from './schema-keys.js';
import { overridesLayer } from './set-overrides.js';
import { didYouMean, suggestName } from './suggest.js';
import type { ResolvedConfig, UserConfig } from './types.js';
import { type ConfigWarning, extendsLayers, normalizeConfigKeys, readYamlFile } from './yaml-preset.js';

/** File names looked for, in order, when no `--config` is given. */
export const CONFIG_FILE_NAMES = [
  'mlops.config.ts',
  'mlops.config.mts',
  'mlops.config.js',
  'mlops.config.mjs',
  'mlops.config.yaml',
  'mlops.config.yml',
] as const;

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Directory to look for a config file in. Default `process.cwd()`. */
  cwd?: string;
  /** Explicit config file (`--config`). */
  configFile?: string;
  /** `--set key.path=value` overrides, applied last. */
  overrides?: readonly string[];
  /**
   * Unknown keys are warnings (and ignored) instead of errors (`--lenient`; the config key
   * `strict: false` does the same from a file).
   */
  lenient?: boolean;
}

/** A resolved config and the warnings found on the way. */
export interface LoadedConfig {
  /** The resolved, validated config. */
  config: ResolvedConfig;
  /** Non-fatal problems: timm keys mlops ignores, and unknown keys of a lenient config. */
  warnings: ConfigWarning[];
}

/** Finds the config file: `--config`, else the first of {@link CONFIG_FILE_NAMES} in `cwd`. */
export function findConfigFile(cwd: string, configFile?: string): string {
  if (configFile) {
    const path = resolve(cwd, configFile);
    if (!existsSync(path)) {
      throw new MlopsError('MLOPS_ERR_CONFIG_NOT_FOUND', `config file not found: ${path}`, {
        file: path,
        hint: 'check the --config path',
      });
    }
    return path;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  throw new MlopsError('MLOPS_ERR_CONFIG_NOT_FOUND', `no mlops config in ${cwd}`, {
    hint: `create mlops.config.ts (see examples/image-classifier) or pass --config <file>`,
  });
}

/** Imports a TypeScript/JavaScript config file without a build step (jiti). */
async function importConfigModule(file: string): Promise<UserConfig> {
  const jiti = createJiti(import.meta.url, { interopDefault: true, moduleCache: false });
  let mod: unknown;
  try {
    mod = await jiti.import(file, { default: true });
  } catch (error) {
    throw new MlopsError('MLOPS_ERR_CONFIG_LOAD', `${file}: failed to load: ${(error as Error).message}`, {
      file,
      cause: error,
      hint: 'fix the error in the config file; it must `export default defineConfig({...})`',
    });
  }
  const config = typeof mod === 'function' ? await (mod as () => unknown)() : mod;
  if (!isPlainObject(config)) {
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `${file}: the default export must be a config object`, {
      file,
      hint: 'export default defineConfig({ ... })',
    });
  }
  return config as UserConfig;
}

/**
 * Loads `mlops.config.ts` (or `.js`/`.yaml`), applies its YAML presets (`extends`), then `--set`
 * overrides, fills defaults and validates. Every problem is reported at once with the file, the key
 * path and what is expected.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const file = findConfigFile(cwd, options.configFile);
  const ext = extname(file);
  const user: UserConfig =
    ext === '.yaml' || ext === '.yml'
      ? ((await readYamlFile(file)) as UserConfig)
      : await importConfigModule(file);
  return resolveUserConfig(user, {
    file,
    overrides: options.overrides,
    ...(options.lenient ? { lenient: true } : {}),
  });
}

/** Options of {@link resolveUserConfig}. */
export interface ResolveUserConfigOptions {
  /** The file the config came from; relative paths resolve against its directory. */
  file: string;
  /** `--set` overrides. */
  overrides?: readonly string[] | undefined;
  /** Unknown keys are warnings instead of errors (see {@link LoadConfigOptions.lenient}). */
  lenient?: boolean;
}

/** Resolves a config object given in code (the programmatic twin of {@link loadConfig}). */
export async function resolveUserConfig(
  user: UserConfig,
  options: ResolveUserConfigOptions,
): Promise<LoadedConfig> {
  const file = resolve(options.file);
  const root = dirname(file);
  const warnings: ConfigWarning[] = [];
  const { plugins, extends: parents, ...rest } = user as UserConfig & Record<string, unknown>;
  const layers: ConfigLayer[] = [
    { source: 'defaults', values: configDefaults() as unknown as Record<string, unknown> },
  ];
  layers.push(...(await extendsLayers(parents, root, file, warnings)));
  layers.push({ source: file, values: normalizeConfigKeys(rest, file, warnings) });
  if (options.overrides?.length) layers.push(overridesLayer(options.overrides));
  let merged = mergeLayers(layers);
  // Presets may name plugins too (YAML: package names): the lists of every layer are merged by
  // name, a later layer's entry (the config file's `tfjs()`) replacing an earlier one's.
  const resolvedPlugins = await mergePlugins(
    layers.map((layer) => ({
      file: layer.source,
      plugins: layer.source === file ? plugins : layer.values.plugins,
    })),
  );
  const pluginDefaults = await pluginDefaultLayers(resolvedPlugins, merged, root);
  if (pluginDefaults.length > 0) {
    // Just above the built-in defaults: a checkpoint's input size beats 28, the user's beats both.
    layers.splice(1, 0, ...pluginDefaults);
    merged = mergeLayers(layers);
  }
  const values = merged.values;
  delete values.plugins;
  const problems: string[] = [];
  const strict = values.strict;
  delete values.strict;
  if (strict !== undefined && typeof strict !== 'boolean') {
    problems.push(`  ${sourceOf(merged.provenance, 'strict')}: strict: expected true or false`);
  }
  const lenient = options.lenient === true || strict === false;
  if (typeof values.project !== 'string' || !values.project) values.project = await defaultProjectName(root);
  const registry = values.registry as Record<string, unknown>;
  if (!registry.model) registry.model = toModelName(String(values.project));

  // Unknown keys: top-level ones found while reading each file, nested ones by the schema.
  const unknown = warnings.filter((warning) => warning.unknownKey !== undefined);
  warnings.splice(0, warnings.length, ...warnings.filter((warning) => warning.unknownKey === undefined));
  let result = configSchema.safeParse(values);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      const known = schemaKeysAt(issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key].join('.');
        const suggestion = suggestName(key, known);
        unknown.push({
          file: sourceOf(merged.provenance, path),
          path,
          message: `unknown key${didYouMean(suggestion === undefined ? undefined : [...issue.path, suggestion].join('.'))}`,
          unknownKey: suggestion === undefined ? {} : { suggestion },
        });
      }
    }
  }
  if (lenient) {
    // Unknown keys are warnings: drop them and validate again.
    let dropped = false;
    for (const entry of unknown) {
      warnings.push({ file: entry.file, path: entry.path, message: `${entry.message}; ignored` });
      dropped = deletePath(values, entry.path.split('.')) || dropped;
    }
    if (dropped) result = configSchema.safeParse(values);
  } else {
    problems.push(...unknown.map((entry) => `  ${entry.file}: ${entry.path}: ${entry.message}`));
  }
  if (!result.success) {
    problems.push(
      ...result.error.issues
        .filter((issue) => issue.code !== 'unrecognized_keys')
        .map((issue) => {
          const path = issue.path.join('.');
          return `  ${sourceOf(merged.provenance, path)}: ${path || '(root)'}: ${describeIssue(issue, values)}`;
        }),
    );
  }
  const data = result.success ? result.data : undefined;
  if (problems.length > 0 || data === undefined) {
    const unknownOnly = unknown.length > 0 && !lenient;
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `invalid config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}`,
      {
        file,
        hint: `fix the keys listed above; \`mlops --help\` and the README list every option${unknownOnly ? '; `--lenient` (or `strict: false` in the config) ignores unknown keys with a warning' : ''}`,
      },
    );
  }
  const config: ResolvedConfig = {
    ...(data as Omit<ResolvedConfig, 'root' | 'sources' | 'plugins'>),
    root,
    sources: layers.map((layer) => layer.source).filter((source) => source !== 'defaults'),
    plugins: resolvedPlugins,
  };
  return { config, warnings };
}

/** Calls each plugin's `configDefaults` with the merged values; their layers, in plugin order. */
async function pluginDefaultLayers(
  plugins: readonly MlopsPlugin[],
  merged: MergedConfig,
  root: string,
): Promise<ConfigLayer[]> {
  const layers: ConfigLayer[] = [];
  const isSet = (path: string): boolean => {
    const source = merged.provenance.get(path);
    return source !== undefined && source !== 'defaults';
  };
  for (const plugin of plugins) {
    const contributed = await plugin.configDefaults?.(merged.values, { root, isSet });
    if (contributed) layers.push({ source: contributed.source, values: contributed.values });
  }
  return layers;
}

/**
 * Plugins given by package name load without code: `plugins: ['@mlops/plugin-tfjs']` or
 * `[['@mlops/plugin-tfjs', { backend: 'wasm' }]]` in YAML. The package is resolved from the config
 * file's directory and its default export (a plugin factory) is called with the options.
 */
async function loadPluginByName(
  spec: string,
  options: unknown,
  file: string,
  where: string,
): Promise<MlopsPlugin> {
  const jiti = createJiti(file, { interopDefault: false });
  let mod: Record<string, unknown>;
  try {
    mod = (await jiti.import(spec)) as Record<string, unknown>;
  } catch (error) {
    throw new MlopsError('MLOPS_ERR_CONFIG_LOAD', `${file}: ${where}: cannot load plugin package "${spec}"`, {
      file,
      cause: error,
      hint: `install it next to the config: npm install ${spec}`,
    });
  }
  const factory = mod.default;
  if (typeof factory !== 'function') {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `${file}: ${where}: "${spec}" has no default export plugin factory`,
      {
        file,
        hint: 'import its factory in mlops.config.ts instead',
      },
    );
  }
  const plugin = await (factory as (options: unknown) => unknown)(options ?? {});
  if (!isPluginLike(plugin)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `${file}: ${where}: "${spec}"'s default export did not return a plugin`,
      {
        file,
      },
    );
  }
  return plugin;
}

/** The `plugins` list of one config layer (a preset, the config file, `--set`). */
interface LayerPlugins {
  /** The file the list is in. */
  file: string;
  /** The list as written. */
  plugins: unknown;
}

/**
 * The plugins of every layer, merged by name in layer order: an entry of a later layer replaces
 * the entry of the same package in an earlier one, in place (the config file's `tfjs()` over a
 * preset's `'@mlops/plugin-tfjs'`); other entries are kept, so a preset's plugins are never
 * dropped. Every package named is loaded, so a misspelled one fails here. A package whose plugin
 * has another name than the package is matched after loading, by the plugin's name.
 */
async function mergePlugins(lists: readonly LayerPlugins[]): Promise<MlopsPlugin[]> {
  const entries: { key: string; rank: number; spec: unknown; file: string; where: string }[] = [];
  for (const [rank, { file, plugins }] of lists.entries()) {
    if (plugins === undefined || plugins === null) continue;
    if (!Array.isArray(plugins)) {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `${file}: plugins: expected an array of plugins (objects, or package names in YAML)`,
        { file },
      );
    }
    for (const [index, spec] of plugins.entries()) {
      const where = `plugins.${index}`;
      const key = pluginKey(spec, file, where);
      const entry = { key, rank, spec, file, where };
      const earlier = entries.findIndex((e) => e.key === key && e.rank < rank);
      if (earlier >= 0) entries[earlier] = entry;
      else entries.push(entry);
    }
  }
  const loaded: { plugin: MlopsPlugin; rank: number }[] = [];
  for (const entry of entries) {
    const { spec, file, where } = entry;
    const plugin =
      typeof spec === 'string'
        ? await loadPluginByName(spec, undefined, file, where)
        : Array.isArray(spec)
          ? await loadPluginByName(spec[0] as string, spec[1], file, where)
          : (spec as MlopsPlugin);
    const same = loaded.findIndex((l) => l.plugin.name === plugin.name && l.rank !== entry.rank);
    if (same < 0) loaded.push({ plugin, rank: entry.rank });
    else if ((loaded[same] as { rank: number }).rank < entry.rank)
      loaded[same] = { plugin, rank: entry.rank };
  }
  return loaded.map((l) => l.plugin);
}

/** The name an entry of a `plugins` list is merged by: the package name, or the plugin's name. */
function pluginKey(spec: unknown, file: string, where: string): string {
  if (typeof spec === 'string') return spec;
  if (Array.isArray(spec) && typeof spec[0] === 'string') return spec[0];
  if (isPluginLike(spec)) return spec.name;
  throw new MlopsError(
    'MLOPS_ERR_CONFIG_INVALID',
    `${file}: ${where}: expected { name, apply(api) } (did you forget to call the plugin factory, e.g. tfjs()?)`,
    { file },
  );
}

/**
 * A zod issue in words, with what the key allows where the value is one of a few (`expected 1 or
 * 3 (got 2)`, `expected "skip" or "error" (got "skipp"; did you mean "skip"?)`).
 */
function describeIssue(issue: z.ZodIssue, values: Record<string, unknown>): string {
  const allowed = allowedValues(issue);
  if (allowed === undefined) return issue.message;
  const got = valueAt(values, issue.path);
  const names = allowed.filter((a): a is string => typeof a === 'string');
  const suggestion = typeof got === 'string' ? suggestName(got, names) : undefined;
  const choices = allowed.map((value) => (value instanceof Kind ? value.text : JSON.stringify(value)));
  const received = JSON.stringify(got) ?? 'nothing';
  return `expected ${joinOr(choices)} (got ${received}${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`})`;
}

/** A kind of value an enum-like union also accepts, e.g. "an array". */
class Kind {
  constructor(readonly text: string) {}
}

/** The values (or {@link Kind}s) an enum-like issue allows; undefined for other issues. */
function allowedValues(issue: z.ZodIssue): unknown[] | undefined {
  if (issue.code === 'invalid_value') return [...issue.values];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return undefined;
  const allowed: unknown[] = [];
  for (const branch of issue.errors) {
    const [only] = branch;
    if (branch.length !== 1 || only === undefined || only.path.length > 0) return undefined;
    if (only.code === 'invalid_value') allowed.push(...only.values);
    else if (only.code === 'invalid_type')
      allowed.push(new Kind(`${/^[aeiou]/.test(only.expected) ? 'an' : 'a'} ${only.expected}`));
    else return undefined;
  }
  return allowed;
}

function joinOr(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function valueAt(values: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let node: unknown = values;
  for (const key of path) {
    if (!isPlainObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[String(key)];
  }
  return node;
}

function isPluginLike(value: unknown): value is MlopsPlugin {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as MlopsPlugin).name === 'string' &&
    typeof (value as MlopsPlugin).apply === 'function'
  );
}

async function defaultProjectName(root: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(resolve(root, 'package.json'), 'utf8')) as { name?: unknown };
    if (typeof pkg.name === 'string' && pkg.name) return pkg.name.replace(/^@[^/]+\//, '');
  } catch {
    // No package.json: fall back to the directory name.
  }
  return basename(root);
}

/** A registry-safe model name from a project name. */
export function toModelName(project: string): string {
  const name = project
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return name || 'model';
}
