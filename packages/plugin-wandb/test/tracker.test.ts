/**
 * The W&B tracker against the fake server, driven with the event sequence a pipeline run
 * produces (params, per-epoch metrics, histograms and sample images, then the evaluate stage's
 * summary and tables, then finish). The full pipeline is exercised in pipeline.test.ts.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WandbClient } from '../src/http/wandb-client.js';
import { RunSpool } from '../src/spool/run-spool.js';
import { uploadSpooledRun } from '../src/sync/run-uploader.js';
import { WandbTracker, type WandbTrackerOptions } from '../src/tracker/wandb-tracker.js';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { capturingLogger, FAST_RETRY, PNG_1X1, startFake, TEST_KEY, tempDir } from './helpers.js';

let fake: FakeWandbServer;
let dir: string;
beforeEach(async () => {
  fake = await startFake();
  dir = await tempDir();
});
afterEach(async () => {
  await fake.close();
});

function tracker(overrides: Partial<WandbTrackerOptions> = {}, baseUrl = fake.url): WandbTracker {
  return new WandbTracker({
    entity: 'team',
    project: 'fashion',
    mode: 'online',
    spoolRoot: join(dir, 'spool'),
    connect: async () => new WandbClient({ baseUrl, apiKey: TEST_KEY, retry: FAST_RETRY }),
    flushIntervalMs: 60_000, // the tests flush through finish, so nothing depends on timing
    ...overrides,
  });
}

/** What a 3-epoch pipeline run logs, in order. */
async function logRun(t: WandbTracker, runId = 'run-1', epochs = 3): Promise<void> {
  await t.start({
    id: runId,
    project: 'fashion',
    name: 'first try',
    tags: ['smoke'],
    config: { train: { epochs } },
    dir,
  });
  t.logParams({ train: { epochs, lr: 0.001 }, model: { architecture: 'small_cnn' } });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    t.logMetrics({ 'train/loss': 2 / epoch, 'val/top1': 0.3 * epoch, lr: 0.001 / epoch }, epoch);
    t.logHistogram(
      'gradients/conv1',
      Float32Array.from({ length: 100 }, (_, i) => Math.sin(i + epoch)),
      epoch,
    );
    if (epoch === 1) t.logImage('samples', PNG_1X1, { step: epoch, caption: 'inputs' });
  }
  t.logSummary({ 'test/top1': 0.85, 'test/loss': 0.4 });
  t.logTable('confusion_matrix', {
    classes: ['a', 'b'],
    matrix: [
      [5, 1],
      [2, 4],
    ],
  });
  t.logTable('roc', [{ label: 'a', auc: 0.9, fpr: [0, 0.5, 1], tpr: [0, 0.8, 1] }]);
}

describe('WandbTracker online', () => {
  it('logs a whole run: config, tags, one history row per step, media, summary, tables, exit code', async () => {
    const t = tracker({ group: 'sweep-1', tags: ['ci'] });
    await logRun(t);
    await t.finish('succeeded');

    expect(fake.violations).toEqual([]);
    const run = fake.run('team', 'fashion', 'run-1');
    expect(run).toMatchObject({ displayName: 'first try', group: 'sweep-1', jobType: 'train', exitcode: 0 });
    expect(run?.tags.sort()).toEqual(['ci', 'smoke']);
    expect(run?.config.train).toEqual({ value: { epochs: 3, lr: 0.001 }, desc: null });
    expect(run?.config.model).toEqual({ value: { architecture: 'small_cnn' }, desc: null });

    const rows = fake.historyRows('team', 'fashion', 'run-1');
    expect(rows.map((r) => r._step)).toEqual([1, 2, 3]);
    expect(rows[2]).toMatchObject({ 'train/loss': 2 / 3, 'val/top1': 0.3 * 3, lr: 0.001 / 3 });
    const histogram = rows[0]!['gradients/conv1'] as { _type: string; values: number[]; bins: number[] };
    expect(histogram._type).toBe('histogram');
    expect(histogram.bins).toHaveLength(histogram.values.length + 1);
    expect(histogram.values.reduce((a, b) => a + b, 0)).toBe(100);
    const image = rows[0]!.samples as { _type: string; path: string; width: number; caption: string };
    expect(image).toMatchObject({ _type: 'image-file', width: 1, height: 1, caption: 'inputs' });
    expect(run?.files.get(image.path)).toEqual(Buffer.from(PNG_1X1));

    // Pictures of the evaluation tables land on the last epoch's row.
    expect(rows[2]!.confusion_matrix_plot).toMatchObject({ _type: 'image-file', width: 32, height: 32 });
    expect(rows[2]!.roc_plot).toMatchObject({ _type: 'image-file', width: 256, height: 256 });
    expect(run?.files.has((rows[2]!.roc_plot as { path: string }).path)).toBe(true);
    expect(run?.summary).toMatchObject({ 'test/top1': 0.85, 'train/loss': 2 / 3, 'val/top1': 0.3 * 3 });
    const confusion = run?.summary?.confusion_matrix as { _type: string; path: string; nrows: number };
    expect(confusion).toMatchObject({ _type: 'table-file', ncols: 3, nrows: 4 });
    const table = JSON.parse(run?.files.get(confusion.path)?.toString() ?? '{}');
    expect(table.columns).toEqual(['Actual', 'Predicted', 'nPredictions']);
    expect(table.data).toContainEqual(['b', 'a', 2]);
    const rocPath = (run?.summary?.roc as { path: string } | undefined)?.path ?? '';
    const roc = JSON.parse(run?.files.get(rocPath)?.toString() ?? '{}');
    expect(roc).toEqual({
      columns: ['class', 'fpr', 'tpr'],
      data: [
        ['a', 0, 0],
        ['a', 0.5, 0.8],
        ['a', 1, 1],
      ],
    });
  });

  it('batches the history stream and sends each line once', async () => {
    const t = tracker({ batchLines: 100 });
    await t.start({ id: 'many', project: 'fashion', config: {}, dir });
    for (let step = 0; step < 250; step++) t.logMetrics({ loss: 1 / (step + 1) }, step);
    await t.finish('succeeded');
    const history = fake.requests
      .map(
        (r) =>
          (r.body as { files?: Record<string, { offset: number; content: string[] }> })?.files?.[
            'wandb-history.jsonl'
          ],
      )
      .filter((f) => f !== undefined);
    expect(history.map((f) => [f.offset, f.content.length])).toEqual([
      [0, 100],
      [100, 100],
      [200, 50],
    ]);
    expect(fake.historyRows('team', 'fashion', 'many').map((r) => r._step)).toEqual([...Array(250).keys()]);
    expect(fake.violations).toEqual([]);
  });

  it('keeps streaming through 429 and 5xx answers (retried), ending complete', async () => {
    fake.fail({ path: /file_stream/ }, 429, { retryAfter: '0' });
    fake.fail({ path: /file_stream/ }, 503, { times: 2, afterApply: true }); // applied, answer lost
    fake.fail({ path: /\/upload\// }, 500);
    const t = tracker();
    await logRun(t, 'flaky');
    await t.finish('failed');
    expect(fake.historyRows('team', 'fashion', 'flaky').map((r) => r._step)).toEqual([1, 2, 3]);
    expect(fake.run('team', 'fashion', 'flaky')?.exitcode).toBe(1);
    expect(fake.violations).toEqual([]);
  });

  it('spools when W&B is unreachable, warns once, and never fails the run; sync uploads it later', async () => {
    const lines: string[] = [];
    const t = tracker({ logger: capturingLogger(lines) }, 'http://127.0.0.1:9'); // nothing listens on port 9
    await logRun(t, 'away');
    await t.finish('succeeded');
    expect(lines.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    expect(lines.join('\n')).toContain('mlops wandb sync away');
    expect(fake.requests).toHaveLength(0);

    const client = new WandbClient({ baseUrl: fake.url, apiKey: TEST_KEY, retry: FAST_RETRY });
    const report = await uploadSpooledRun(client, new RunSpool(join(dir, 'spool'), 'away'));
    expect(report).toMatchObject({ historyLines: 3, files: 5, summary: true, completed: true }); // 1 image, 2 tables, 2 plots
    expect(fake.historyRows('team', 'fashion', 'away')).toHaveLength(3);
    expect(fake.run('team', 'fashion', 'away')?.exitcode).toBe(0);
    // A second sync has nothing left to send.
    const before = fake.requests.length;
    expect(await uploadSpooledRun(client, new RunSpool(join(dir, 'spool'), 'away'))).toMatchObject({
      historyLines: 0,
      files: 0,
      summary: false,
    });
    expect(fake.requests.length).toBe(before);
    expect(fake.violations).toEqual([]);
  });

  it('goes to the spool without a key, saying how to provide one', async () => {
    const lines: string[] = [];
    const t = tracker({ logger: capturingLogger(lines), connect: async () => undefined });
    await logRun(t, 'nokey');
    await t.finish('succeeded');
    expect(lines.join('\n')).toMatch(/no W&B API key \(set WANDB_API_KEY/);
    expect((await new RunSpool(join(dir, 'spool'), 'nokey').readHistory()).length).toBe(3);
  });

  it('ends a pruned sweep trial as finished (exit code 0), not failed, its summary saying pruned', async () => {
    const t = tracker({ group: 'sweep-1' });
    await logRun(t, 'pruned-trial');
    await t.finish('pruned');
    const run = fake.run('team', 'fashion', 'pruned-trial');
    expect(run?.exitcode).toBe(0);
    expect(run?.summary).toMatchObject({ mlops_status: 'pruned', 'val/top1': 0.3 * 3 });
    // A run that ended as planned carries no such key.
    const full = tracker({ group: 'sweep-1' });
    await logRun(full, 'full-trial');
    await full.finish('succeeded');
    expect(fake.run('team', 'fashion', 'full-trial')?.summary).not.toHaveProperty('mlops_status');
    expect(fake.violations).toEqual([]);
  });

  it('resumes a run: new history continues after the lines the server has', async () => {
    const first = tracker();
    await first.start({ id: 'resumed', project: 'fashion', config: {}, dir });
    first.logMetrics({ loss: 1 }, 1);
    first.logMetrics({ loss: 0.5 }, 2);
    await first.finish('interrupted');
    expect(fake.run('team', 'fashion', 'resumed')?.exitcode).toBe(255);
    // Another machine (empty spool) resumes it: the server's line count is the offset.
    dir = await tempDir();
    const second = tracker();
    await second.start({ id: 'resumed', project: 'fashion', config: {}, dir, resumed: true });
    second.logMetrics({ loss: 0.25 }, 3);
    await second.finish('succeeded');
    expect(fake.historyRows('team', 'fashion', 'resumed').map((r) => r._step)).toEqual([1, 2, 3]);
    expect(fake.requests.some((r) => r.operation === 'RunResumeStatus')).toBe(true);
    expect(fake.violations).toEqual([]);
  });

  it('resumes a run on the same machine: continues its spool and completes it again', async () => {
    const first = tracker();
    await first.start({ id: 'again', project: 'fashion', config: {}, dir });
    first.logMetrics({ loss: 1 }, 1);
    await first.finish('interrupted');
    const second = tracker();
    await second.start({ id: 'again', project: 'fashion', config: {}, dir, resumed: true });
    second.logMetrics({ loss: 0.5 }, 2);
    await second.finish('succeeded');
    expect(fake.historyRows('team', 'fashion', 'again').map((r) => r._step)).toEqual([1, 2]);
    expect(fake.run('team', 'fashion', 'again')?.exitcode).toBe(0);
    expect(fake.requests.some((r) => r.operation === 'RunResumeStatus')).toBe(false);
    expect(fake.violations).toEqual([]);
  });

  it('does not hold the run back when W&B hangs: start returns, the upload finishes later', async () => {
    const lines: string[] = [];
    const release = fake.stall({ operation: 'UpsertBucket' });
    const t = tracker({ startTimeoutMs: 50, logger: capturingLogger(lines) });
    await t.start({ id: 'slow', project: 'fashion', config: {}, dir });
    expect(fake.run('team', 'fashion', 'slow')).toBeUndefined(); // W&B has not answered yet
    expect(lines.join('\n')).toMatch(/has not answered within 50 ms; run slow starts anyway/);
    t.logMetrics({ loss: 1 }, 1);
    release();
    await t.finish('succeeded');
    expect(fake.historyRows('team', 'fashion', 'slow').map((r) => r._step)).toEqual([1]);
    expect(fake.run('team', 'fashion', 'slow')?.exitcode).toBe(0);
  });

  it("writes NaN and ±Infinity bare in history and summary, as W&B's history format does", async () => {
    const t = tracker();
    await t.start({ id: 'diverged', project: 'fashion', config: {}, dir });
    t.logMetrics({ loss: 1, grad: 0.5 }, 1);
    t.logMetrics({ loss: Number.NaN, grad: Number.POSITIVE_INFINITY, lr: Number.NEGATIVE_INFINITY }, 2);
    await t.finish('failed');
    expect(fake.violations).toEqual([]); // the fake refuses the string "NaN" in a history row
    const lines = fake.run('team', 'fashion', 'diverged')?.history ?? [];
    expect(lines[1]).toContain('"loss":NaN');
    expect(lines[1]).toContain('"grad":Infinity');
    expect(lines[1]).toContain('"lr":-Infinity');
    const [, row] = fake.historyRows('team', 'fashion', 'diverged');
    expect(row?.loss).toBeNaN();
    expect(row?.grad).toBe(Number.POSITIVE_INFINITY);
    // The summary takes the last value of each key, in the same format.
    expect(fake.run('team', 'fashion', 'diverged')?.summary?.loss).toBeNaN();
  });

  it('sends a file_stream heartbeat when an epoch logs nothing for a while', async () => {
    const t = tracker({ flushIntervalMs: 10, transmitIntervalMs: 10_000, heartbeatIntervalMs: 60 });
    await t.start({ id: 'long-epoch', project: 'fashion', config: {}, dir });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const heartbeats = fake.requests.filter(
      (r) => r.path.endsWith('/file_stream') && JSON.stringify(r.body) === '{}',
    );
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    // Spaced by the heartbeat period, not by the 10 ms tick.
    for (let i = 1; i < heartbeats.length; i++)
      expect(heartbeats[i]!.at - heartbeats[i - 1]!.at).toBeGreaterThanOrEqual(55);
    await t.finish('succeeded');
    expect(fake.run('team', 'fashion', 'long-epoch')?.exitcode).toBe(0);
    expect(fake.violations).toEqual([]);
  });

  it('batches rows logged between transmissions, and sends summary and completion with the last rows', async () => {
    const t = tracker({ flushIntervalMs: 5, transmitIntervalMs: 1000, heartbeatIntervalMs: 60_000 });
    await t.start({ id: 'paced', project: 'fashion', config: {}, dir });
    for (let step = 1; step <= 20; step++) {
      t.logMetrics({ loss: 1 / step }, step);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    t.logSummary({ 'test/top1': 0.5 });
    await t.finish('succeeded');
    const streams = fake.requests.filter((r) => r.path.endsWith('/file_stream'));
    // 20 rows over ~200 ms with a tick every 5 ms: at most one pass while logging, then the finish.
    expect(streams.length).toBeLessThanOrEqual(2);
    const last = streams.at(-1)?.body as {
      files: Record<string, unknown>;
      complete: boolean;
      exitcode: number;
    };
    expect(Object.keys(last.files).sort()).toEqual(['wandb-history.jsonl', 'wandb-summary.json']);
    expect(last).toMatchObject({ complete: true, exitcode: 0 });
    expect(fake.historyRows('team', 'fashion', 'paced').map((r) => r._step)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(fake.violations).toEqual([]);
  });

  it('stops the run when W&B asks (the Stop button), once, with a clear warning', async () => {
    const lines: string[] = [];
    const onStopRequested = vi.fn();
    const t = tracker({
      flushIntervalMs: 10,
      transmitIntervalMs: 20,
      heartbeatIntervalMs: 40,
      logger: capturingLogger(lines),
      onStopRequested,
    });
    await t.start({ id: 'stop-me', project: 'fashion', config: {}, dir });
    t.logMetrics({ loss: 1 }, 1);
    fake.requestStop('team', 'fashion', 'stop-me');
    for (let i = 0; i < 100 && onStopRequested.mock.calls.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100)); // more answers say stopped: still once
    expect(onStopRequested).toHaveBeenCalledTimes(1);
    expect(t.stopRequested).toBe(true);
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      'warn W&B asked to stop run stop-me (stopped from the W&B UI or API); stopping it after the current step, as Ctrl-C does',
    ]);
    // The run then ends as an interrupted one does.
    await t.finish('interrupted');
    expect(fake.run('team', 'fashion', 'stop-me')?.exitcode).toBe(255);
    expect(fake.violations).toEqual([]);
  });

  it('by default stops the run the way Ctrl-C does: the SIGINT handlers run', async () => {
    const saved = process.listeners('SIGINT');
    process.removeAllListeners('SIGINT');
    const handler = vi.fn();
    process.on('SIGINT', handler);
    try {
      const t = tracker({ flushIntervalMs: 10, transmitIntervalMs: 20, heartbeatIntervalMs: 40 });
      fake.requestStop('team', 'fashion', 'ctrl-c');
      await t.start({ id: 'ctrl-c', project: 'fashion', config: {}, dir });
      for (let i = 0; i < 100 && handler.mock.calls.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(handler).toHaveBeenCalledWith('SIGINT');
      await t.finish('interrupted');
    } finally {
      process.removeAllListeners('SIGINT');
      for (const listener of saved) process.on('SIGINT', listener as NodeJS.SignalsListener);
    }
  });

  it('waits as long as a 429 Retry-After asks, not the shorter backoff cap', async () => {
    fake.fail({ path: /file_stream/ }, 429, { retryAfter: '1' });
    const client = new WandbClient({ baseUrl: fake.url, apiKey: TEST_KEY, retry: FAST_RETRY }); // cap 50 ms
    const t = tracker({ connect: async () => client });
    await t.start({ id: 'limited', project: 'fashion', config: {}, dir });
    t.logMetrics({ loss: 1 }, 1);
    await t.finish('succeeded');
    const streams = fake.requests.filter((r) => r.path.endsWith('/file_stream'));
    expect(streams).toHaveLength(2);
    expect(streams[1]!.at - streams[0]!.at).toBeGreaterThanOrEqual(950);
    expect(fake.run('team', 'fashion', 'limited')?.exitcode).toBe(0);
    expect(fake.violations).toEqual([]);
  });
});
