import { describe, expect, it } from 'vitest';
import { isMlopsError, type MlopsError } from '../../src/errors.js';
import { applyPlugins, orderPlugins } from '../../src/plugin/apply-plugins.js';
import type { MlopsPlugin, PluginApi } from '../../src/plugin/plugin.js';

const plugin = (name: string, extra: Partial<MlopsPlugin> = {}): MlopsPlugin => ({
  name,
  apply() {},
  ...extra,
});

describe('orderPlugins', () => {
  it('keeps config order, puts pre first and post last', () => {
    const order = orderPlugins([
      plugin('a'),
      plugin('late', { enforce: 'post' }),
      plugin('b'),
      plugin('early', { enforce: 'pre' }),
    ]);
    expect(order.map((p) => p.name)).toEqual(['early', 'a', 'b', 'late']);
  });

  it('applies dependencies before their dependents', () => {
    const order = orderPlugins([
      plugin('server', { dependsOn: ['onnx'] }),
      plugin('onnx', { dependsOn: ['tfjs'] }),
      plugin('tfjs'),
    ]);
    expect(order.map((p) => p.name)).toEqual(['tfjs', 'onnx', 'server']);
  });

  it('rejects duplicate names', () => {
    expect(() => orderPlugins([plugin('a'), plugin('a')])).toThrowError(/plugin "a" is listed twice/);
  });

  it('names a missing dependency and how to fix it', () => {
    try {
      orderPlugins([plugin('@mlops/plugin-onnx', { dependsOn: ['@mlops/plugin-tfjs'] })]);
      expect.unreachable();
    } catch (error) {
      expect(isMlopsError(error, 'MLOPS_ERR_PLUGIN_MISSING_DEPENDENCY')).toBe(true);
      expect((error as Error).message).toBe(
        'plugin "@mlops/plugin-onnx" needs "@mlops/plugin-tfjs", which is not in plugins',
      );
    }
  });

  it('detects dependency cycles', () => {
    expect(() =>
      orderPlugins([plugin('a', { dependsOn: ['b'] }), plugin('b', { dependsOn: ['a'] })]),
    ).toThrowError(/cycle/);
  });

  it('reports a cycle as a cycle, naming only the plugins in it and the dependencies to remove', () => {
    const error = (() => {
      try {
        orderPlugins([
          plugin('c', { dependsOn: ['a'] }),
          plugin('a', { dependsOn: ['b'] }),
          plugin('b', { dependsOn: ['a'] }),
        ]);
      } catch (e) {
        return e as MlopsError;
      }
      return undefined;
    })();
    expect(isMlopsError(error, 'MLOPS_ERR_PLUGIN_CYCLE')).toBe(true);
    expect(error?.message).toBe('plugin dependency cycle: a → b → a');
    expect(error?.hint).toBe(
      'remove one of the dependencies in the cycle: "a" dependsOn "b", "b" dependsOn "a"',
    );
  });
});

describe('applyPlugins', () => {
  it('wraps a failing apply with the plugin name', async () => {
    const failing = plugin('broken', {
      apply() {
        throw new Error('no GPU');
      },
    });
    await expect(applyPlugins([failing], () => ({}) as PluginApi)).rejects.toThrowError(
      'plugin "broken" failed to apply: no GPU',
    );
  });

  it('awaits async apply in order', async () => {
    const seen: string[] = [];
    const slow = plugin('slow', {
      async apply() {
        await new Promise((r) => setTimeout(r, 20));
        seen.push('slow');
      },
    });
    await applyPlugins(
      [slow, plugin('fast', { apply: () => void seen.push('fast') })],
      () => ({}) as PluginApi,
    );
    expect(seen).toEqual(['slow', 'fast']);
  });
});
