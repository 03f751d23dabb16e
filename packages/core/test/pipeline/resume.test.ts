import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUserConfig } from '../../src/config/load-config.js';
import { isMlopsError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/silent-logger.js';
import { interruptSignal } from '../../src/pipeline/interrupt.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { RunStore } from '../../src/runs/run-store.js';
import { Engine } from '../../src/services/engine.js';
import { countingEnginePlugin, type EngineCalls } from './test-plugin.js';

describe('interrupt and --resume', () => {
  it('turns Ctrl-C into an abort whose reason is a coded interruption', () => {
    const before = new Set(process.listeners('SIGINT'));
    const interrupt = interruptSignal();
    try {
      const added = process.listeners('SIGINT').filter((listener) => !before.has(listener));
      expect(added).toHaveLength(1);
      added[0]?.('SIGINT');
      expect(interrupt.signal.aborted).toBe(true);
      expect(isMlopsError(interrupt.signal.reason, 'MLOPS_ERR_RUN_INTERRUPTED')).toBe(true);
      expect((interrupt.signal.reason as Error).message).toBe('interrupted by SIGINT');
    } finally {
      interrupt.dispose();
    }
    expect(new Set(process.listeners('SIGINT'))).toEqual(before);
  });

  it('records an interrupted run and resumes it in the same run, reusing finished stages', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-resume-'));
    const calls: EngineCalls = { build: 0, train: 0, evaluate: 0, export: 0 };
    const { config } = await resolveUserConfig(
      {
        project: 'demo',
        data: { source: 'generated' },
        train: { epochs: 3 },
        plugins: [countingEnginePlugin(calls)],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: silentLogger });
    const engine = pipeline.container.resolve(Engine);
    const resumedFlags: boolean[] = [];
    const train = engine.train.bind(engine);
    engine.train = async (ctx) => {
      resumedFlags.push(ctx.run.resumed);
      return train(ctx);
    };
    const controller = new AbortController();
    pipeline.hooks.epochEnd.tap('interrupt', ({ epoch }) => {
      if (epoch === 2 && !controller.signal.aborted) controller.abort(new Error('SIGINT'));
    });

    const failure = await pipeline.run({ signal: controller.signal }).catch((error: unknown) => error);
    expect(isMlopsError(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/interrupted/);
    expect((failure as { hint?: string }).hint).toMatch(/--resume/);
    const runs = new RunStore(join(root, '.mlops'));
    const interrupted = await runs.get('latest');
    expect(interrupted.status).toBe('interrupted');
    expect(isMlopsError(failure, 'MLOPS_ERR_RUN_INTERRUPTED')).toBe(true);
    expect(interrupted.error).toEqual({
      code: 'MLOPS_ERR_RUN_INTERRUPTED',
      message: 'SIGINT',
      stage: 'train',
    });

    const resumed = await pipeline.run({ resume: interrupted.id, signal: new AbortController().signal });
    expect(resumed.run.id).toBe(interrupted.id);
    expect(resumed.run.status).toBe('succeeded');
    expect(calls.build).toBe(1);
    expect(resumedFlags).toEqual([false, true]);
    expect((await runs.list()).length).toBe(1);
  });
});
