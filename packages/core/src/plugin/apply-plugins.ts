import { MlopsError } from '../errors.js';
import type { MlopsPlugin, PluginApi } from './plugin.js';

const enforceRank = { pre: 0, normal: 1, post: 2 } as const;

/**
 * Orders plugins: `enforce: 'pre'` first, `post` last, config order otherwise, and every plugin
 * after the plugins it `dependsOn`. Duplicate names, missing dependencies and dependency cycles are
 * errors that name the plugins involved.
 */
export function orderPlugins(plugins: readonly MlopsPlugin[]): MlopsPlugin[] {
  const byName = new Map<string, MlopsPlugin>();
  for (const plugin of plugins) {
    if (byName.has(plugin.name)) {
      throw new MlopsError('MLOPS_ERR_PLUGIN_DUPLICATE', `plugin "${plugin.name}" is listed twice`, {
        hint: 'remove one of them from `plugins` in mlops.config.ts',
      });
    }
    byName.set(plugin.name, plugin);
  }
  for (const plugin of plugins) {
    const missing = (plugin.dependsOn ?? []).filter((name) => !byName.has(name));
    if (missing.length) {
      throw new MlopsError(
        'MLOPS_ERR_PLUGIN_MISSING_DEPENDENCY',
        `plugin "${plugin.name}" needs ${missing.map((name) => `"${name}"`).join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not in plugins`,
        {
          hint: `install ${missing.join(', ')} and add ${missing.length === 1 ? 'it' : 'them'} to \`plugins\` in mlops.config.ts`,
        },
      );
    }
  }
  const sorted = plugins
    .map((plugin, index) => ({ plugin, index }))
    .sort(
      (a, b) =>
        enforceRank[a.plugin.enforce ?? 'normal'] - enforceRank[b.plugin.enforce ?? 'normal'] ||
        a.index - b.index,
    )
    .map(({ plugin }) => plugin);
  // Depth-first so a dependency lands before its dependents while the order is otherwise kept.
  const ordered: MlopsPlugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (plugin: MlopsPlugin, chain: string[]) => {
    const seen = state.get(plugin.name);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...chain.slice(chain.indexOf(plugin.name)), plugin.name];
      throw new MlopsError('MLOPS_ERR_PLUGIN_CYCLE', `plugin dependency cycle: ${cycle.join(' → ')}`, {
        hint: `remove one of the dependencies in the cycle: ${cycle
          .slice(0, -1)
          .map((name, i) => `"${name}" dependsOn "${cycle[i + 1]}"`)
          .join(', ')}`,
      });
    }
    state.set(plugin.name, 'visiting');
    for (const name of plugin.dependsOn ?? [])
      visit(byName.get(name) as MlopsPlugin, [...chain, plugin.name]);
    state.set(plugin.name, 'done');
    ordered.push(plugin);
  };
  for (const plugin of sorted) visit(plugin, []);
  return ordered;
}

/** Applies plugins in order; a plugin that throws fails with its name in the message. */
export async function applyPlugins(
  plugins: readonly MlopsPlugin[],
  apiFor: (plugin: MlopsPlugin) => PluginApi,
): Promise<MlopsPlugin[]> {
  const ordered = orderPlugins(plugins);
  for (const plugin of ordered) {
    try {
      await plugin.apply(apiFor(plugin));
    } catch (error) {
      if (error instanceof MlopsError) throw error;
      throw new MlopsError(
        'MLOPS_ERR_PLUGIN_APPLY',
        `plugin "${plugin.name}" failed to apply: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return ordered;
}
