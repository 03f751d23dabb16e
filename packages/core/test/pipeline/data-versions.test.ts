import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUserConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/logging/silent-logger.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { countingEnginePlugin, type EngineCalls } from './test-plugin.js';

async function imageFolder(root: string): Promise<void> {
  for (const split of ['train', 'validation']) {
    for (const label of ['cat', 'dog']) {
      await mkdir(join(root, split, label), { recursive: true });
      for (let i = 0; i < 2; i++)
        await writeFile(join(root, split, label, `${i}.png`), `${split}/${label}/${i}`);
    }
  }
}

describe('data versions drive retraining', () => {
  it('retrains when the data changes and stays cached when it does not', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-data-version-'));
    await imageFolder(join(root, 'data'));
    const calls: EngineCalls = { build: 0, train: 0, evaluate: 0, export: 0 };
    const { config } = await resolveUserConfig(
      {
        project: 'pets',
        data: { source: 'imagefolder', path: './data' },
        evaluate: { split: 'validation' },
        train: { epochs: 1 },
        plugins: [countingEnginePlugin(calls)],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: silentLogger });
    const signal = new AbortController().signal;

    const first = await pipeline.run({ signal });
    const unchanged = await pipeline.run({ signal });
    expect(unchanged.stages.map((s) => s.status)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached']);
    expect(unchanged.outputs.data?.version).toBe(first.outputs.data?.version);

    await writeFile(join(root, 'data', 'train', 'dog', '2.png'), 'a new dog');
    const added = await pipeline.run({ signal });
    expect(added.outputs.data?.version).not.toBe(first.outputs.data?.version);
    expect(added.outputs.data?.counts.train).toEqual({ cat: 2, dog: 3 });
    expect(added.stages.map((s) => s.status)).toEqual(['ran', 'ran', 'ran', 'ran', 'ran']);
    expect(calls.train).toBe(2);

    // Back to the first version: its results are still cached.
    await rm(join(root, 'data', 'train', 'dog', '2.png'));
    const reverted = await pipeline.run({ signal });
    expect(reverted.outputs.data?.version).toBe(first.outputs.data?.version);
    expect(reverted.stages.map((s) => s.status)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached']);
    expect(calls.train).toBe(2);
  });

  it('names the missing class folder and how to fix it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-data-version-'));
    await imageFolder(join(root, 'data'));
    await rm(join(root, 'data', 'validation'), { recursive: true });
    const { config } = await resolveUserConfig(
      {
        data: { source: 'imagefolder', path: './data' },
        plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 })],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: silentLogger });
    await expect(pipeline.run({ stages: ['data'], signal: new AbortController().signal })).rejects.toThrow(
      /validation/,
    );
  });
});
