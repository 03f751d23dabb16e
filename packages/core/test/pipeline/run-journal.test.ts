import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlopsError } from '../../src/errors.js';
import { RunJournal, recordedOutputs, type StageEntry } from '../../src/pipeline/run-journal.js';
import type { DataOutput, TrainOutput } from '../../src/pipeline/stage-outputs.js';
import type { RunRecord } from '../../src/runs/run-record.js';
import { RunStore } from '../../src/runs/run-store.js';
import { makeTempDir } from '../store/spawn-ts.js';

let dir: string;
let cleanup: () => Promise<void>;
let runs: RunStore;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('mlops-journal-'));
  runs = new RunStore(join(dir, '.mlops'));
});
afterEach(() => cleanup());

const ref = (hash: string) => ({ hash: hash.repeat(64).slice(0, 64), kind: 'file' as const, size: 1 });
const data: DataOutput = {
  dataset: { ...ref('d'), kind: 'dir' },
  version: 'v'.repeat(64),
  classes: ['cat', 'dog'],
  splits: { train: 4 },
  counts: { train: { cat: 2, dog: 2 } },
  skipped: [],
};
const train: TrainOutput = {
  model: ref('m'),
  history: ref('h'),
  epochs: 2,
  bestEpoch: 2,
  metrics: { top1: 0.9 },
  backend: 'wasm',
  imagesPerSecond: 10,
};
const entry = (extra: Partial<StageEntry> = {}): StageEntry => ({
  cacheKey: 'k'.repeat(64),
  startedAt: '2026-12-06T04:00:00.000Z',
  inputs: { data: 'abc' },
  ...extra,
});

/** The record as written on disk (not the settled view of `RunStore.get`). */
async function onDisk(journal: RunJournal): Promise<RunRecord> {
  return JSON.parse(await readFile(join(journal.dir, 'run.json'), 'utf8')) as RunRecord;
}

describe('RunJournal', () => {
  it('records a stage running, then ran, in one shape, with the run-level fields its output sets', async () => {
    const { journal, record } = await RunJournal.open(runs, { project: 'demo' });
    expect(record.status).toBe('running');
    expect(journal.dir).toBe(runs.runDir(record.id));

    await journal.running('data', entry({ notes: ['a note'] }));
    let written = await onDisk(journal);
    expect(written.stages.data).toEqual({
      status: 'running',
      cacheKey: 'k'.repeat(64),
      startedAt: '2026-12-06T04:00:00.000Z',
      durationMs: 0,
      inputs: { data: 'abc' },
      notes: ['a note'],
    });
    expect(written.dataVersion).toBeNull();

    await journal.ran(
      'data',
      entry({ reason: ['no earlier run of the data stage in this store'] }),
      120,
      data,
    );
    written = await onDisk(journal);
    expect(written.stages.data).toMatchObject({
      status: 'ran',
      durationMs: 120,
      output: { version: data.version, classes: ['cat', 'dog'] },
      reason: ['no earlier run of the data stage in this store'],
    });
    expect(written.stages.data?.notes).toBeUndefined(); // an empty list of notes is left out
    expect(written.dataVersion).toBe(data.version);
    expect(written.backend).toBeNull();

    // A stage cached by its output that found it seen before: ran to look, recorded cached.
    await journal.ran('data', entry(), 80, data, 'cached');
    expect((await onDisk(journal)).stages.data).toMatchObject({ status: 'cached', durationMs: 80 });
  });

  it('records a cached stage with its output and run-level fields (the backend of a cached train)', async () => {
    const { journal } = await RunJournal.open(runs, { project: 'demo' });
    await journal.cached('train', entry(), train);
    const written = await onDisk(journal);
    expect(written.stages.train).toMatchObject({
      status: 'cached',
      durationMs: 0,
      output: { backend: 'wasm' },
    });
    expect(written.backend).toBe('wasm');
  });

  it('records a failed stage with the code of a coded error, and the message of any other', async () => {
    const { journal } = await RunJournal.open(runs, { project: 'demo' });
    await journal.failed('train', entry({ reason: ['forced (--force)'] }), 42, new Error('diverged'));
    let written = await onDisk(journal);
    expect(written.stages.train).toEqual({
      status: 'failed',
      cacheKey: 'k'.repeat(64),
      startedAt: '2026-12-06T04:00:00.000Z',
      durationMs: 42,
      inputs: { data: 'abc' },
      error: { message: 'diverged' },
      reason: ['forced (--force)'],
    });
    await journal.failed('model', entry(), 1, new MlopsError('MLOPS_ERR_CHECKPOINT_MISMATCH', 'no head'));
    written = await onDisk(journal);
    expect(written.stages.model?.error).toEqual({
      code: 'MLOPS_ERR_CHECKPOINT_MISMATCH',
      message: 'no head',
    });
    expect(written.stages.model?.output).toBeUndefined();
  });

  it('records stages the caller provided or skipped', async () => {
    const { journal } = await RunJournal.open(runs, { project: 'demo' });
    await journal.notRun('data', data);
    await journal.notRun('evaluate', undefined);
    const written = await onDisk(journal);
    expect(written.stages.data).toMatchObject({
      status: 'provided',
      cacheKey: '',
      durationMs: 0,
      inputs: {},
    });
    expect(written.stages.data?.output).toEqual(JSON.parse(JSON.stringify(data)));
    expect(written.dataVersion).toBe(data.version);
    expect(written.stages.evaluate).toMatchObject({ status: 'skipped', cacheKey: '' });
    expect(written.stages.evaluate?.output).toBeUndefined();
  });

  it('ends a run with its metrics and error; an interrupted run is coded as such whatever the stage threw', async () => {
    const { journal } = await RunJournal.open(runs, { project: 'demo' });
    const ended = await journal.finish({
      status: 'interrupted',
      error: new Error('interrupted by SIGINT'),
      stage: 'train',
      metrics: { 'val/top1': 0.5 },
    });
    expect(ended.status).toBe('interrupted');
    expect(ended.endedAt).not.toBeNull();
    expect(ended.durationMs).toBeGreaterThanOrEqual(0);
    expect(ended.metrics).toEqual({ 'val/top1': 0.5 });
    expect(ended.error).toEqual({
      code: 'MLOPS_ERR_RUN_INTERRUPTED',
      message: 'interrupted by SIGINT',
      stage: 'train',
    });
    expect(ended.attempts?.[0]?.endedAt).toBe(ended.endedAt);

    const { journal: other } = await RunJournal.open(runs, { project: 'demo' });
    const failed = await other.finish({
      status: 'failed',
      error: new MlopsError('MLOPS_ERR_DATA_INVALID', 'no images'),
      metrics: {},
    });
    expect(failed.error).toEqual({ code: 'MLOPS_ERR_DATA_INVALID', message: 'no images' });
    const succeeded = await (await RunJournal.open(runs, { project: 'demo' })).journal.finish({
      status: 'succeeded',
      metrics: { 'test/top1': 0.9 },
    });
    expect(succeeded.error).toBeUndefined();
  });

  it('gives a resumed run the outputs an earlier attempt finished, and only those', async () => {
    const { journal } = await RunJournal.open(runs, { project: 'demo' });
    await journal.ran('data', entry(), 5, data);
    await journal.cached('train', entry({ cacheKey: 't'.repeat(64) }), train);
    await journal.failed('evaluate', entry(), 5, new Error('out of memory'));
    await journal.running('export', entry());
    expect(await journal.finishedEarlier('train')).toEqual({
      output: JSON.parse(JSON.stringify(train)),
      cacheKey: 't'.repeat(64),
    });
    expect((await journal.finishedEarlier('data'))?.output.version).toBe(data.version);
    expect(await journal.finishedEarlier('evaluate')).toBeUndefined();
    expect(await journal.finishedEarlier('export')).toBeUndefined();
    expect(await journal.finishedEarlier('model')).toBeUndefined();
    expect(Object.keys(recordedOutputs(await journal.record()))).toEqual(['data', 'train']);
  });

  it('reopens an ended run for --resume: running again, error cleared, a new attempt', async () => {
    const { journal } = await RunJournal.open(runs, { project: 'demo' });
    await journal.finish({ status: 'interrupted', error: new Error('SIGINT'), stage: 'train', metrics: {} });
    const { journal: resumed, record } = await RunJournal.reopen(runs, journal.id);
    expect(resumed.id).toBe(journal.id);
    expect(record).toMatchObject({ status: 'running', endedAt: null, durationMs: null });
    expect(record.error).toBeUndefined();
    expect(record.attempts).toHaveLength(2);
    expect(record.attempts?.[0]?.endedAt).not.toBeNull();
    expect(record.attempts?.[1]?.endedAt).toBeNull();
  });
});
