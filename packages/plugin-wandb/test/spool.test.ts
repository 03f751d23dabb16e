import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSpooledRuns, RunSpool } from '../src/spool/run-spool.js';
import { tempDir } from './helpers.js';

describe('RunSpool', () => {
  it('reads complete history lines from a byte offset and leaves out a line torn by a crash', async () => {
    const spool = new RunSpool(await tempDir(), 'r');
    await spool.create();
    await spool.appendHistory(['{"_step":1}', '{"_step":2,"é":1}']);
    await appendFile(join(spool.dir, 'history.jsonl'), '{"_step":3,"los'); // the crash
    const lines = await spool.readHistoryFrom(0);
    expect(lines.map((l) => l.line)).toEqual(['{"_step":1}', '{"_step":2,"é":1}']);
    expect((await spool.readHistoryFrom(lines[0]!.bytes)).map((l) => l.line)).toEqual(['{"_step":2,"é":1}']);
    expect(await spool.readHistoryFrom(lines[0]!.bytes + lines[1]!.bytes)).toEqual([]);

    // A resume cuts the torn line off, so the next append starts on a line of its own.
    await spool.reopen();
    await spool.appendHistory(['{"_step":3}']);
    expect(await readFile(join(spool.dir, 'history.jsonl'), 'utf8')).toBe(
      '{"_step":1}\n{"_step":2,"é":1}\n{"_step":3}\n',
    );
  });

  it('lists only directories that hold a spooled run', async () => {
    const root = await tempDir();
    const spool = new RunSpool(root, 'b-run');
    await spool.create();
    await spool.writeRun({
      format: 'mlops-wandb-run/1',
      entity: 'e',
      project: 'p',
      runId: 'b-run',
      tags: [],
      config: {},
      resumed: false,
      startedAt: new Date(0).toISOString(),
    });
    await new RunSpool(root, 'a-empty').create();
    expect(await listSpooledRuns(root)).toEqual(['b-run']);
    expect(await listSpooledRuns(join(root, 'missing'))).toEqual([]);
  });
});
