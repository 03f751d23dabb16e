import { join } from 'node:path';
import { isMlopsError, ModelRegistry, Pipeline, resolveUserConfig, silentLogger, Tracker } from '@mlops/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import wandb from '../src/index.js';
import { tempDir } from './helpers.js';

const saved = { ...process.env };
beforeEach(() => {
  delete process.env.WANDB_API_KEY;
  delete process.env.WANDB_MODE;
});
afterEach(() => {
  process.env = { ...saved };
});

async function create(options: Parameters<typeof wandb>[0]): Promise<Pipeline> {
  const root = await tempDir();
  process.env.NETRC = join(root, 'none');
  const { config } = await resolveUserConfig(
    { project: 'demo', plugins: [wandb(options)] },
    { file: join(root, 'mlops.config.ts') },
  );
  return Pipeline.create({ config, logger: silentLogger });
}

describe('wandb() plugin', () => {
  it('adds the tracker and the `wandb sync` command; the local registry stays unless asked', async () => {
    const pipeline = await create({ entity: 'team' });
    expect(pipeline.container.resolveAll(Tracker).map((t) => t.name)).toEqual(['wandb']);
    expect(pipeline.container.resolve(ModelRegistry).constructor.name).toBe('LocalModelRegistry');
    expect(pipeline.commands.map((c) => c.name)).toEqual(['wandb sync [runId]']);
  });

  it('does nothing but keep its command when WANDB_MODE=disabled', async () => {
    process.env.WANDB_MODE = 'disabled';
    const pipeline = await create({ entity: 'team', registry: true });
    expect(pipeline.container.isRegistered(Tracker, true)).toBe(false);
  });

  it('refuses an online W&B registry without a key, saying where keys come from', async () => {
    const error = await create({ entity: 'team', registry: true }).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_AUTH')).toBe(true);
    expect((error as { hint: string }).hint).toMatch(/WANDB_API_KEY.*netrc/);
  });

  it('uses the spooling registry offline', async () => {
    process.env.WANDB_MODE = 'offline';
    const pipeline = await create({ entity: 'team', registry: true });
    expect(pipeline.container.resolve(ModelRegistry).constructor.name).toBe('SpoolingModelRegistry');
  });
});
