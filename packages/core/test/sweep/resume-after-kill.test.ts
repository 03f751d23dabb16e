import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../src/runs/run-store.js';
import { sweep } from '../../src/sweep/run-sweep.js';
import { type SweepRecord, SweepStore } from '../../src/sweep/sweep-record.js';
import { killableSweepOptions } from './fixtures/killable-sweep.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/killable-sweep.ts', import.meta.url));

async function current(storePath: string): Promise<SweepRecord | undefined> {
  const [record] = await new SweepStore(storePath).list().catch(() => []);
  return record;
}

describe('a sweep killed with SIGKILL', () => {
  it('is resumed by a rerun: finished trials are not rerun, the killed trial continues its own run', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-sweep-kill-'));
    const store = join(root, '.mlops');
    const child = spawn(process.execPath, [join(repo, 'node_modules/.bin/jiti'), script, root], {
      cwd: repo,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Kill it once the second trial has finished an epoch: trial 0 done, trial 1 half way.
    const deadline = Date.now() + 90_000;
    let before: SweepRecord | undefined;
    for (;;) {
      before = await current(store);
      if ((before?.trials[1]?.epochs.length ?? 0) >= 1) break;
      if (child.exitCode !== null) throw new Error(`the sweep process ended before it was killed: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`the sweep did not get to trial 1 in time: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await exited;
    const killed = (await current(store)) as SweepRecord;
    expect(killed.trials.map((t) => t.status)).toEqual(['succeeded', 'running']);
    const killedRun = killed.trials[1]?.runId as string;
    const runs = new RunStore(store);
    expect((await runs.get(killedRun)).status).toBe('interrupted'); // read as such: its process is gone

    const resumed = await sweep(killableSweepOptions(root));
    expect(resumed.sweep.id).toBe(killed.id);
    expect(resumed.ran).toBe(2);
    expect(resumed.sweep.trials.map((t) => t.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(resumed.sweep.trials[0]).toEqual(killed.trials[0]);
    expect(resumed.sweep.trials[1]?.runId).toBe(killedRun);
    const continued = await runs.get(killedRun);
    expect(continued.status).toBe('succeeded');
    expect(continued.attempts).toHaveLength(2);
    // One run per trial: nothing ran twice.
    expect((await readdir(join(store, 'runs'))).filter((n) => /^\d{8}-/.test(n))).toHaveLength(3);
  }, 120_000);
});
