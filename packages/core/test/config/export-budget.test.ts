import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveUserConfig } from '../../src/config/load-config.js';
import { isMlopsError, type MlopsError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { countingEnginePlugin, type EngineCalls } from '../pipeline/test-plugin.js';

async function projectWith(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-budget-config-'));
  await writeFile(join(dir, 'mlops.config.yaml'), `project: demo\n${yaml}`);
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<MlopsError> {
  try {
    await promise;
  } catch (error) {
    if (isMlopsError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('export.budget', () => {
  it('is absent by default and loads with its limits', async () => {
    expect((await loadConfig({ cwd: await projectWith('') })).config.export.budget).toBeUndefined();
    const cwd = await projectWith(
      'export:\n  budget:\n    maxBytes: 300000\n    maxLatencyMs: 5\n    minTop1: 0.8\n    device: raspberry-pi-4\n    latencyRuns: 20\n',
    );
    expect((await loadConfig({ cwd })).config.export.budget).toEqual({
      maxBytes: 300000,
      maxLatencyMs: 5,
      minTop1: 0.8,
      device: 'raspberry-pi-4',
      latencyRuns: 20,
    });
  });

  it('rejects unknown keys with the closest known one, and out-of-range limits, naming the file', async () => {
    const cwd = await projectWith('export:\n  budget:\n    maxByte: 1000\n    minTop1: 80\n');
    const error = await failure(loadConfig({ cwd }));
    expect(error.code).toBe('MLOPS_ERR_CONFIG_INVALID');
    const file = join(cwd, 'mlops.config.yaml');
    expect(error.message).toContain(
      `${file}: export.budget.maxByte: unknown key (did you mean "export.budget.maxBytes"?)`,
    );
    expect(error.message).toMatch(/export\.budget\.minTop1: .*<=1/);
  });

  it('needs at least one limit, and a latency limit for a device profile', async () => {
    const none = await failure(
      loadConfig({ cwd: await projectWith('export:\n  budget:\n    latencyRuns: 9\n') }),
    );
    expect(none.code).toBe('MLOPS_ERR_CONFIG_INVALID');
    expect(none.message).toContain('export.budget: a budget needs at least one limit');
    const device = await failure(
      loadConfig({
        cwd: await projectWith('export:\n  budget:\n    maxBytes: 10\n    device: raspberry-pi-4\n'),
      }),
    );
    expect(device.message).toContain('device only scales latency');
  });
});

describe('export.budget without a plugin that measures', () => {
  it('fails the export stage instead of registering unmeasured formats', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-budget-unmeasured-'));
    const calls: EngineCalls = { build: 0, train: 0, evaluate: 0, export: 0 };
    const { config } = await resolveUserConfig(
      {
        project: 'demo',
        data: { source: 'generated' },
        train: { epochs: 1 },
        export: { budget: { maxBytes: 1000 } },
        plugins: [countingEnginePlugin(calls)],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: silentLogger });
    const error = await failure(pipeline.run({ stages: ['export'] }));
    expect(error.code).toBe('MLOPS_ERR_SERVICE_MISSING');
    expect(error.message).toContain('export.budget is set, and no plugin measures exports against it');
    expect(error.hint).toContain('@mlops/plugin-onnx');
    expect(calls.export).toBe(0);
  });
});
