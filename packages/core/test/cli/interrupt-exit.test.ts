/**
 * Ctrl-C and SIGTERM end `mlops run`, a stage shortcut and `mlops sweep` with 128 + the signal's
 * number (130, 143), as command line tools do, and print how to resume. The signal is delivered
 * by calling the handler the command installed (the last listener), as the process would.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const testPlugin = fileURLToPath(new URL('../pipeline/test-plugin.ts', import.meta.url));

/** A project whose training receives `signal` once, after its first epoch. */
async function projectInterruptedBy(signal: NodeJS.Signals, extra = ''): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-interrupt-cli-'));
  const file = join(dir, 'mlops.config.ts');
  await writeFile(
    file,
    `import { countingEnginePlugin } from ${JSON.stringify(testPlugin)};
// Once per project, even when a later command loads this file again.
const sent = (globalThis.__signalsSent ??= new Set());
const sender = {
  name: 'signal-sender',
  apply(api) {
    api.hooks.epochEnd.tap('signal', () => {
      if (sent.has(import.meta.url)) return;
      sent.add(import.meta.url);
      const handler = process.listeners(${JSON.stringify(signal)}).at(-1);
      handler?.(${JSON.stringify(signal)});
    });
  },
};
export default {
  project: 'demo',
  data: { source: 'generated' },
  train: { epochs: 3 },
  plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 }), sender],
  ${extra}
};
`,
  );
  return file;
}

describe('exit code of an interrupted command', () => {
  it('mlops run: 130 on Ctrl-C (SIGINT), with the command that resumes the run', async () => {
    const config = await projectInterruptedBy('SIGINT');
    const result = await cli(['--config', config, 'run']);
    expect(result.code, result.err).toBe(130);
    expect(result.err).toMatch(/^mlops: run (\S+) interrupted during train$/m);
    const id = /^mlops: run (\S+) interrupted/m.exec(result.err)?.[1];
    expect(result.err).toContain(`hint: continue it with: mlops run --resume ${id}`);
    // And the printed command resumes it.
    const resumed = await cli(['--config', config, 'run', '--resume', id as string]);
    expect(resumed.code, resumed.err).toBe(0);
  });

  it('a stage shortcut: 143 on SIGTERM', async () => {
    const config = await projectInterruptedBy('SIGTERM');
    const result = await cli(['--config', config, 'train']);
    expect(result.code, result.err).toBe(143);
    expect(result.err).toMatch(/^hint: continue it with: mlops run --resume \S+$/m);
  });

  it('mlops sweep: 143 on SIGTERM, with how to resume the sweep', async () => {
    const config = await projectInterruptedBy(
      'SIGTERM',
      "sweep: { method: 'grid', metric: { name: 'test/top1' }, parameters: { 'train.lr': { values: [0.1, 0.01] } } },",
    );
    const result = await cli(['--config', config, 'sweep']);
    expect(result.code, result.err).toBe(143);
    expect(result.err).toMatch(/^mlops: sweep \S+ stopped; its finished trials are kept$/m);
    expect(result.err).toContain('hint: run `mlops sweep` again with the same config to resume it');
  });

  it('a run that fails is still 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-interrupt-cli-'));
    const file = join(dir, 'mlops.config.ts');
    await writeFile(
      file,
      `import { countingEnginePlugin } from ${JSON.stringify(testPlugin)};
export default { project: 'demo', data: { source: 'generated' }, plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 }, { failIn: 'train' })] };
`,
    );
    expect((await cli(['--config', file, 'run'])).code).toBe(1);
  });
});
