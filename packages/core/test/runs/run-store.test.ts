import { appendFile, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMlopsError } from '../../src/errors.js';
import { RUN_ID_PATTERN } from '../../src/runs/run-id.js';
import { RunStore } from '../../src/runs/run-store.js';
import { makeTempDir } from '../store/spawn-ts.js';

let dir: string;
let cleanup: () => Promise<void>;
let runs: RunStore;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
  runs = new RunStore(join(dir, '.mlops'));
});
afterEach(() => cleanup());

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('RunStore', () => {
  it('creates a running record under runs/<id>/run.json with a time-sortable id', async () => {
    const run = await runs.create({
      project: 'demo',
      argv: ['run', 'train'],
      config: { train: { epochs: 2 } },
      git: { sha: 'a'.repeat(40), dirty: true },
      packages: { '@mlops/core': '0.1.0' },
      startedAt: new Date('2026-11-26T03:15:00.123Z'),
    });
    expect(run.id).toMatch(RUN_ID_PATTERN);
    expect(run.id.startsWith('20261126-031500-')).toBe(true);
    expect(run).toMatchObject({
      project: 'demo',
      status: 'running',
      startedAt: '2026-11-26T03:15:00.123Z',
      endedAt: null,
      durationMs: null,
      dataVersion: null,
      backend: null,
      stages: {},
      metrics: {},
    });
    const onDisk = JSON.parse(await readFile(join(dir, '.mlops', 'runs', run.id, 'run.json'), 'utf8'));
    expect(onDisk).toEqual(run);
  });

  it('updates by read-modify-write without losing concurrent updates', async () => {
    const run = await runs.create({ project: 'demo' });
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        runs.update(run.id, (r) => {
          r.metrics[`m${i}`] = i;
        }),
      ),
    );
    await runs.update(run.id, (r) => {
      r.stages.data = {
        status: 'cached',
        cacheKey: 'k',
        startedAt: r.startedAt,
        durationMs: 3,
        inputs: {},
        output: { version: 'v' },
      };
      return r;
    });
    const finished = await runs.finish(run.id, {
      status: 'failed',
      error: { code: 'MLOPS_ERR_STAGE_FAILED', message: 'x' },
    });
    expect(Object.keys(finished.metrics)).toHaveLength(25);
    expect(finished.stages.data?.status).toBe('cached');
    expect(finished.status).toBe('failed');
    expect(finished.durationMs).toBeGreaterThanOrEqual(0);
    expect(finished.error).toEqual({ code: 'MLOPS_ERR_STAGE_FAILED', message: 'x' });
    expect(await runs.get(run.id)).toEqual(finished);
  });

  it('lists newest first, with limit and status filter, and resolves latest', async () => {
    const times = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.500Z'];
    const created = [];
    for (const t of times) created.push(await runs.create({ project: 'p', startedAt: new Date(t) }));
    await runs.finish(created[0]!.id, { status: 'succeeded' });
    const ids = (await runs.list()).map((r) => r.id);
    // The last two share a start second; startedAt orders them.
    expect(ids).toEqual([created[2]!.id, created[1]!.id, created[0]!.id]);
    expect((await runs.list({ limit: 2 })).map((r) => r.id)).toEqual(ids.slice(0, 2));
    expect((await runs.list({ status: 'succeeded' })).map((r) => r.id)).toEqual([created[0]!.id]);
    expect((await runs.list({ status: ['running'] })).length).toBe(2);
    expect((await runs.get('latest')).id).toBe(created[2]!.id);
  });

  it('finds a run by the random suffix or a unique prefix', async () => {
    const run = await runs.create({ project: 'p', startedAt: new Date('2026-03-04T05:06:07Z') });
    expect((await runs.get(run.id.slice(-4))).id).toBe(run.id);
    expect((await runs.get('20260304-0506')).id).toBe(run.id);
  });

  it('says which runs exist when an id is unknown', async () => {
    const empty = await errorOf(runs.get('latest'));
    expect(isMlopsError(empty, 'MLOPS_ERR_RUN_NOT_FOUND')).toBe(true);
    expect(empty.message).toContain('no runs');
    const a = await runs.create({ project: 'p' });
    const error = await errorOf(runs.get('20990101-000000-zzzz'));
    expect(isMlopsError(error, 'MLOPS_ERR_RUN_NOT_FOUND')).toBe(true);
    expect(error.message).toContain(a.id);
    expect(
      isMlopsError(await errorOf(runs.appendMetrics('20990101-000000-zzzz', {})), 'MLOPS_ERR_RUN_NOT_FOUND'),
    ).toBe(true);
  });

  it('appends metrics one line per row and reads them back, ignoring a torn last line', async () => {
    const run = await runs.create({ project: 'p' });
    expect(await runs.readMetrics(run.id)).toEqual([]);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => runs.appendMetrics(run.id, { epoch: i, loss: 1 / (i + 1) })),
    );
    const path = join(runs.runDir(run.id), 'metrics.jsonl');
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(21);
    await appendFile(path, '{"epoch": 99, "lo'); // a writer died mid-append
    const rows = await runs.readMetrics(run.id);
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r.epoch).sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );

    await appendFile(path, '\n{"ok": true}\n');
    const corrupt = await errorOf(runs.readMetrics(run.id));
    expect(isMlopsError(corrupt, 'MLOPS_ERR_STORE_CORRUPT')).toBe(true);
    expect(corrupt.message).toContain(`${path}:21`);
  });
});

describe('RunStore: runs whose process is gone', () => {
  it('records the process of each attempt, and reads a run whose process is gone as interrupted', async () => {
    const live = await runs.create({ project: 'demo' });
    expect(live.attempts).toEqual([
      expect.objectContaining({ pid: process.pid, host: hostname(), endedAt: null }),
    ]);
    expect((await runs.get(live.id)).status).toBe('running');

    // A pid no process has, and this process's pid with another start time (a reused pid).
    const gone = await runs.create({ project: 'demo' });
    const reused = await runs.create({ project: 'demo' });
    const heartbeatAt = new Date(Date.parse(gone.startedAt) + 5000).toISOString();
    await runs.update(gone.id, (r) => {
      r.attempts = [{ ...r.attempts![0]!, pid: 2 ** 22 + 17, heartbeatAt }];
      r.stages.train = {
        status: 'running',
        cacheKey: 'k',
        startedAt: r.startedAt,
        durationMs: 0,
        inputs: {},
      };
    });
    await runs.update(reused.id, (r) => {
      r.attempts = [{ ...r.attempts![0]!, processStartedAt: '2000-01-01T00:00:00.000Z' }];
    });
    const read = await runs.get(gone.id);
    expect(read).toMatchObject({ status: 'interrupted', endedAt: heartbeatAt, durationMs: 5000 });
    expect(read.error?.message).toMatch(
      /^the process running it \(pid 4194321 on .+\) ended without finishing it \(killed\?\) during train/,
    );
    expect(read.error).toMatchObject({ code: 'MLOPS_ERR_RUN_INTERRUPTED', stage: 'train' });
    expect((await runs.get(reused.id)).status).toBe('interrupted');
    expect((await runs.list({ status: 'interrupted' })).map((r) => r.id).sort()).toEqual(
      [gone.id, reused.id].sort(),
    );
    // The file itself is left to the process that resumes the run.
    expect(JSON.parse(await readFile(join(dir, '.mlops', 'runs', gone.id, 'run.json'), 'utf8')).status).toBe(
      'running',
    );
    // A run on another host cannot be checked from here: it stays running.
    const elsewhere = await runs.create({ project: 'demo' });
    await runs.update(elsewhere.id, (r) => {
      r.attempts = [{ ...r.attempts![0]!, host: 'another-host', pid: 2 ** 22 + 17 }];
    });
    expect((await runs.get(elsewhere.id)).status).toBe('running');
  });

  it('writes a .gitignore into the store it creates', async () => {
    await runs.create({ project: 'demo' });
    expect(await readFile(join(dir, '.mlops', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });
});
