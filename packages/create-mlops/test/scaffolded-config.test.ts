/**
 * Every template's mlops.config.ts, installed (linked) as a user would have it, loads through
 * core's loader: the plugins import from their packages, and every key is one the schema knows
 * (unknown keys are errors), with the values the template meant.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, SCAFFOLD_TEMPLATES } from '@mlops/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createMlops } from '../src/index.js';
import { linkDependencies, missingBuilds } from './workspace-project.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

const quiet = { out: () => undefined, err: () => undefined };

describe('the mlops.config.ts of each template', () => {
  it.each(SCAFFOLD_TEMPLATES.flatMap((template) => [false, true].map((gcp) => [template, gcp] as const)))(
    'loads and validates (%s, gcp %s)',
    async (template, gcp) => {
      const root = await mkdtemp(join(tmpdir(), 'create-mlops-config-'));
      temps.push(root);
      const project = join(root, 'proj');
      const code = await createMlops(
        [project, '--template', template, gcp ? '--gcp' : '--no-gcp', '--ci', 'none', '--yes'],
        quiet,
      );
      expect(code).toBe(0);
      const linked = await linkDependencies(project);
      expect(missingBuilds(linked), 'run `npm run build` first').toEqual([]);
      const { config, warnings } = await loadConfig({ cwd: project });
      expect(warnings).toEqual([]);
      expect(config.project).toBe('proj');
      expect(config.registry.model).toBe('proj');
      expect(config.data.source).toBe(template);
      if (template === 'imagefolder') expect(config.data.path).toBe('./data');
      expect(config.model.inputChannels).toBe(template === 'imagefolder' ? 3 : 1);
      expect(config.export.formats).toEqual(['tfjs', 'onnx']);
      expect(config.registry.promoteTo).toBe('preproduction');
      expect(config.plugins.map((p) => p.name).sort()).toEqual(
        [
          '@mlops/plugin-onnx',
          '@mlops/plugin-tfjs',
          '@mlops/server',
          ...(gcp ? ['@mlops/plugin-gcp'] : []),
        ].sort(),
      );
      expect(config.store.remote).toBe(gcp ? 'gs://proj-mlops/mlops' : undefined);
    },
    60_000,
  );
});
