import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/services/logger.js';
import { LocalTracker } from '../../src/tracker/local-tracker.js';
import { tinyPng } from './fixtures/tiny-png.js';

async function runDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'mlops-local-tracker-'));
}

async function jsonLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function json(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

const RUN = { id: 'r1', project: 'demo', config: { lr: 0.1 } };

describe('LocalTracker', () => {
  it('writes params, metrics, images, histograms, tables and summary into the run directory', async () => {
    const dir = await runDir();
    let now = 1_000;
    const tracker = new LocalTracker({ now: () => now++, writeReport: false });
    expect(tracker.name).toBe('local');
    await tracker.start({ ...RUN, dir });

    tracker.logParams({ lr: 0.1, model: { width: 1 } });
    tracker.logParams({ epochs: 3 });
    tracker.logMetrics({ 'train/loss': 1.5, lr: 0.1 }, 1);
    tracker.logMetrics({ 'val/loss': Number.NaN, step: 99 }, 1);
    const png = tinyPng(2, 2, () => [255, 0, 0]);
    tracker.logImage('samples/train', png, { caption: 'a batch' });
    png.fill(0); // the tracker must have copied the bytes
    tracker.logImage(
      'samples/train',
      tinyPng(2, 2, () => [0, 255, 0]),
    );
    tracker.logHistogram(
      'grad/conv1',
      Float32Array.from({ length: 10_000 }, (_, i) => i % 100),
      1,
    );
    tracker.logTable('confusion_matrix', {
      classes: ['a', 'b'],
      matrix: [
        [1, 0],
        [0, 1],
      ],
    });
    tracker.logSummary({ top1: 0.9 });
    tracker.logSummary({ top5: 0.99 });
    await tracker.flush();

    expect(await json(join(dir, 'params.json'))).toEqual({ lr: 0.1, model: { width: 1 }, epochs: 3 });
    expect(await jsonLines(join(dir, 'metrics.jsonl'))).toEqual([
      { step: 1, ts: 1000, 'train/loss': 1.5, lr: 0.1 },
      { step: 1, ts: 1001, 'val/loss': null },
    ]);
    expect(await json(join(dir, 'media', 'index.json'))).toEqual([
      { key: 'samples/train', step: 0, file: 'media/samples_train-0.png', caption: 'a batch', ts: 1002 },
      { key: 'samples/train', step: 1, file: 'media/samples_train-1.png', ts: 1003 },
    ]);
    const first = await readFile(join(dir, 'media', 'samples_train-0.png'));
    expect(first.equals(Buffer.from(tinyPng(2, 2, () => [255, 0, 0])))).toBe(true);

    const [histogram] = await jsonLines(join(dir, 'histograms.jsonl'));
    expect(histogram).toMatchObject({
      key: 'grad/conv1',
      step: 1,
      ts: 1004,
      count: 10_000,
      min: 0,
      max: 99,
      mean: 49.5,
    });
    expect(histogram!.bins).toHaveLength(30);
    expect((histogram!.bins as number[]).reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(JSON.stringify(histogram).length).toBeLessThan(600); // compact: no raw values

    expect(await json(join(dir, 'tables', 'confusion_matrix.json'))).toEqual({
      classes: ['a', 'b'],
      matrix: [
        [1, 0],
        [0, 1],
      ],
    });
    expect(await json(join(dir, 'summary.json'))).toEqual({ top1: 0.9, top5: 0.99 });
    await tracker.finish('succeeded');
  });

  it('buffers without blocking and flushes in the background within a second', async () => {
    const dir = await runDir();
    const tracker = new LocalTracker({ writeReport: false });
    await tracker.start({ ...RUN, dir });
    tracker.logMetrics({ loss: 1 }, 1);
    // Nothing is written synchronously: the call only buffered.
    expect(await readFile(join(dir, 'metrics.jsonl'), 'utf8')).toBe('');
    await vi.waitFor(async () => expect(await jsonLines(join(dir, 'metrics.jsonl'))).toHaveLength(1), {
      timeout: 1_800,
      interval: 50,
    });
    await tracker.finish('succeeded');
  });

  it('flushes early when many lines are buffered', async () => {
    const dir = await runDir();
    const tracker = new LocalTracker({ writeReport: false, flushIntervalMs: 60_000, maxBufferedLines: 10 });
    await tracker.start({ ...RUN, dir });
    for (let step = 0; step < 10; step++) tracker.logMetrics({ loss: step }, step);
    await vi.waitFor(async () => expect(await jsonLines(join(dir, 'metrics.jsonl'))).toHaveLength(10), {
      timeout: 1_000,
    });
    await tracker.finish('succeeded');
  });

  it('flushes on finish, writes report.html, and ignores calls after finish', async () => {
    const dir = await runDir();
    const tracker = new LocalTracker({ flushIntervalMs: 60_000 });
    await tracker.start({ ...RUN, dir });
    tracker.logMetrics({ 'train/loss': 2 }, 1);
    tracker.logMetrics({ 'train/loss': 1 }, 2);
    await tracker.finish('succeeded');
    tracker.logMetrics({ 'train/loss': 0 }, 3);
    await tracker.finish('failed');

    expect(await jsonLines(join(dir, 'metrics.jsonl'))).toHaveLength(2);
    const report = await readFile(join(dir, 'report.html'), 'utf8');
    expect(report).toContain('<h1>r1</h1><span class="badge ok">succeeded</span>');
    expect(report).toContain('data-metric="loss"');
  });

  it('appends to the previous files when a run is resumed', async () => {
    const dir = await runDir();
    const first = new LocalTracker({ writeReport: false });
    await first.start({ ...RUN, dir });
    first.logMetrics({ loss: 2 }, 1);
    first.logParams({ lr: 0.1 });
    first.logImage(
      'x',
      tinyPng(1, 1, () => [0, 0, 0]),
    );
    await first.finish('interrupted');

    const resumed = new LocalTracker({ writeReport: false });
    await resumed.start({ ...RUN, dir, resumed: true });
    resumed.logMetrics({ loss: 1 }, 2);
    resumed.logParams({ epochs: 5 });
    resumed.logImage(
      'x',
      tinyPng(1, 1, () => [9, 9, 9]),
    );
    await resumed.finish('succeeded');

    expect((await jsonLines(join(dir, 'metrics.jsonl'))).map((row) => row.step)).toEqual([1, 2]);
    expect(await json(join(dir, 'params.json'))).toEqual({ lr: 0.1, epochs: 5 });
    expect(((await json(join(dir, 'media', 'index.json'))) as { step: number }[]).map((m) => m.step)).toEqual(
      [0, 1],
    );
  });

  it('accepts a fixed directory instead of the run directory', async () => {
    const dir = await runDir();
    const tracker = new LocalTracker(dir);
    await tracker.start({ ...RUN, dir: join(dir, 'elsewhere') });
    tracker.logSummary({ ok: true });
    await tracker.finish('succeeded');
    expect(await json(join(dir, 'summary.json'))).toEqual({ ok: true });
  });

  it('keeps writing the other files when one cannot be written, then reports it from finish', async () => {
    const dir = await runDir();
    await writeFile(join(dir, 'media'), 'a file where the media folder should be');
    const warn = vi.fn();
    const logger: Logger = { debug() {}, info() {}, warn, error() {}, child: () => logger };
    const tracker = new LocalTracker({ logger, writeReport: false });
    await tracker.start({ ...RUN, dir });
    tracker.logImage(
      'x',
      tinyPng(1, 1, () => [0, 0, 0]),
    );
    tracker.logMetrics({ loss: 1 }, 1);
    tracker.logSummary({ top1: 0.5 });

    const finishing = tracker.finish('succeeded');
    await expect(finishing).rejects.toThrow(/local tracker could not write media\/x-0\.png/);
    await expect(finishing).rejects.toMatchObject({
      code: 'MLOPS_ERR_STORE_WRITE',
      file: join(dir, 'media', 'x-0.png'),
    });
    expect(await jsonLines(join(dir, 'metrics.jsonl'))).toHaveLength(1);
    expect(await json(join(dir, 'summary.json'))).toEqual({ top1: 0.5 });
    expect(warn).toHaveBeenCalledWith(
      'could not write run file',
      expect.objectContaining({ file: 'media/x-0.png' }),
    );
  });
});
