import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const example = join(repo, 'examples', 'image-classifier');

/** Every YAML file of a folder, by path. */
async function yamlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).map((name) => join(dir, name));
}

// Unknown keys are errors now: every config the repository ships must still load, without a
// warning about a key it does not know (the plugins they name are loaded too).
describe('the configs the repository ships', () => {
  it('load without unknown keys: the example, its presets and the root presets', async () => {
    const files = [
      join(example, 'mlops.config.ts'),
      ...(await yamlFiles(join(example, 'configs'))),
      ...(await yamlFiles(join(repo, 'configs'))),
    ];
    expect(files.length).toBeGreaterThan(8);
    for (const file of files) {
      const { config, warnings } = await loadConfig({ cwd: dirname(file), configFile: file });
      expect(warnings, file).toEqual([]);
      expect(config.sources.at(-1), file).toBe(file);
    }
  });

  it('keeps the plugins the example names in its YAML and in mlops.config.ts, once each', async () => {
    const { config } = await loadConfig({ cwd: example });
    expect(config.plugins.map((plugin) => plugin.name)).toEqual([
      '@mlops/plugin-tfjs',
      '@mlops/plugin-onnx',
      '@mlops/server',
    ]);
  });
});
