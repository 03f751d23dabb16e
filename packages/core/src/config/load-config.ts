import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { createJiti } from 'jiti';
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
import { overridesLayer } from './set-overrides.js';
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
}

/** A resolved config and the warnings found on the way. */
export interface LoadedConfig {
  /** The resolved, validated config. */
  config: ResolvedConfig;
  /** Unknown keys and other non-fatal problems. */
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
  return resolveUserConfig(user, { file, overrides: options.overrides });
}

/** Options of {@link resolveUserConfig}. */
export interface ResolveUserConfigOptions {
  /** The file the config came from; relative paths resolve against its directory. */
  file: string;
  /** `--set` overrides. */
  overrides?: readonly string[] | undefined;
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
  // Presets may name plugins too (YAML: package names); the config file's own list wins.
  const presetPlugins = merged.values.plugins;
  const pluginsFile =
    plugins === undefined && presetPlugins !== undefined ? sourceOf(merged.provenance, 'plugins') : file;
  const resolvedPlugins = await resolvePlugins(plugins ?? presetPlugins, pluginsFile);
  const pluginDefaults = await pluginDefaultLayers(resolvedPlugins, merged, root);
  if (pluginDefaults.length > 0) {
    // Just above the built-in defaults: a checkpoint's input size beats 28, the user's beats both.
    layers.splice(1, 0, ...pluginDefaults);
    merged = mergeLayers(layers);
  }
  const values = merged.values;
  delete values.plugins;
  if (typeof values.project !== 'string' || !values.project) values.project = await defaultProjectName(root);
  const registry = values.registry as Record<string, unknown>;
  if (!registry.model) registry.model = toModelName(String(values.project));

  let result = configSchema.safeParse(values);
  // Unknown nested keys are warnings: drop them and validate again.
  if (!result.success) {
    let dropped = false;
    for (const issue of result.error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      for (const key of issue.keys) {
        const keys = [...issue.path, key];
        const path = keys.join('.');
        warnings.push({
          file: sourceOf(merged.provenance, path),
          path,
          message: `unknown key "${path}" ignored`,
        });
        dropped = deletePath(values, keys) || dropped;
      }
    }
    if (dropped) result = configSchema.safeParse(values);
  }
  if (!result.success) {
    const problems = result.error.issues
      .filter((issue) => issue.code !== 'unrecognized_keys')
      .map((issue) => {
        const path = issue.path.join('.');
        return `  ${sourceOf(merged.provenance, path)}: ${path || '(root)'}: ${issue.message}`;
      });
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `invalid config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}`,
      { file, hint: 'fix the keys listed above; `mlops --help` and the README list every option' },
    );
  }
  const config: ResolvedConfig = {
    ...(result.data as Omit<ResolvedConfig, 'root' | 'sources' | 'plugins'>),
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

async function resolvePlugins(plugins: unknown, file: string): Promise<MlopsPlugin[]> {
  if (plugins === undefined || plugins === null) return [];
  if (!Array.isArray(plugins)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `${file}: plugins: expected an array of plugins (objects, or package names in YAML)`,
      { file },
    );
  }
  const resolved: MlopsPlugin[] = [];
  for (const [index, plugin] of plugins.entries()) {
    const where = `plugins.${index}`;
    if (typeof plugin === 'string') {
      resolved.push(await loadPluginByName(plugin, undefined, file, where));
    } else if (Array.isArray(plugin) && typeof plugin[0] === 'string') {
      resolved.push(await loadPluginByName(plugin[0], plugin[1], file, where));
    } else if (isPluginLike(plugin)) {
      resolved.push(plugin);
    } else {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `${file}: ${where}: expected { name, apply(api) } (did you forget to call the plugin factory, e.g. tfjs()?)`,
        { file },
      );
    }
  }
  return resolved;
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
