import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/services/logger.js';
import type { RunStatus, TrackedRun, Tracker } from '../../src/services/tracker.js';
import { CompositeTracker } from '../../src/tracker/composite-tracker.js';
import type { Json, JsonObject } from '../../src/util/json.js';

/** A tracker that records every call. */
class RecordingTracker implements Tracker {
  readonly calls: string[] = [];
  constructor(readonly name: string) {}
  async start(run: TrackedRun): Promise<void> {
    this.calls.push(`start ${run.id}`);
  }
  logParams(params: JsonObject): void {
    this.calls.push(`params ${JSON.stringify(params)}`);
  }
  logMetrics(metrics: Record<string, number>, step: number): void {
    this.calls.push(`metrics ${step} ${JSON.stringify(metrics)}`);
  }
  logImage(key: string): void {
    this.calls.push(`image ${key}`);
  }
  logHistogram(key: string, values: ArrayLike<number>, step: number): void {
    this.calls.push(`histogram ${key} ${values.length} ${step}`);
  }
  logTable(key: string, _value: Json): void {
    this.calls.push(`table ${key}`);
  }
  logSummary(summary: Record<string, Json>): void {
    this.calls.push(`summary ${JSON.stringify(summary)}`);
  }
  async finish(status: RunStatus): Promise<void> {
    this.calls.push(`finish ${status}`);
  }
}

/** A tracker whose every logging call fails: synchronously, or by rejecting. */
class BrokenTracker extends RecordingTracker {
  override logMetrics(): void {
    throw new Error('metrics endpoint down');
  }
  // Declared `void` by the interface, but written as `async` by a careless plugin.
  override logImage = (async () => {
    throw new Error('upload failed');
  }) as unknown as () => void;
  override async finish(): Promise<void> {
    throw new Error('sync failed');
  }
}

function spyLogger(): Logger & { warn: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> } {
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn(), child: () => logger };
  return logger;
}

const RUN: TrackedRun = { id: 'r1', project: 'p', config: {}, dir: '/tmp/unused' };

describe('CompositeTracker', () => {
  it('fans every call out to all trackers', async () => {
    const a = new RecordingTracker('a');
    const b = new RecordingTracker('b');
    const tracker = new CompositeTracker([a, b]);
    expect(tracker.name).toBe('composite(a,b)');
    expect(tracker.trackers).toEqual([a, b]);
    await tracker.start(RUN);
    tracker.logParams({ lr: 1 });
    tracker.logMetrics({ loss: 1 }, 3);
    tracker.logImage('img', new Uint8Array(1));
    tracker.logHistogram('h', [1, 2], 3);
    tracker.logTable('t', [1]);
    tracker.logSummary({ top1: 1 });
    await tracker.finish('succeeded');
    const expected = [
      'start r1',
      'params {"lr":1}',
      'metrics 3 {"loss":1}',
      'image img',
      'histogram h 2 3',
      'table t',
      'summary {"top1":1}',
      'finish succeeded',
    ];
    expect(a.calls).toEqual(expected);
    expect(b.calls).toEqual(expected);
  });

  it('isolates a failing tracker: logs it, the others and the run go on', async () => {
    const good = new RecordingTracker('local');
    const broken = new BrokenTracker('wandb');
    const logger = spyLogger();
    const tracker = new CompositeTracker([broken, good], logger);
    await tracker.start(RUN);
    for (let step = 1; step <= 3; step++) tracker.logMetrics({ loss: step }, step);
    tracker.logImage('img', new Uint8Array(1));
    await new Promise((resolve) => setImmediate(resolve)); // let the rejected promise settle
    await expect(tracker.finish('succeeded')).resolves.toBeUndefined();

    expect(good.calls).toEqual([
      'start r1',
      'metrics 1 {"loss":1}',
      'metrics 2 {"loss":2}',
      'metrics 3 {"loss":3}',
      'image img',
      'finish succeeded',
    ]);
    const warnings = logger.warn.mock.calls.map(([message]) => message);
    expect(warnings).toEqual([
      'tracker wandb failed in logMetrics',
      'tracker wandb failed in logImage',
      'tracker wandb failed in finish',
      'tracker wandb failed 3 times in logMetrics',
    ]);
    expect(logger.warn.mock.calls[0]![1]).toMatchObject({
      tracker: 'wandb',
      method: 'logMetrics',
      error: expect.any(Error),
    });
  });

  it('turns off a tracker whose start fails', async () => {
    const good = new RecordingTracker('local');
    const unstartable = new RecordingTracker('remote');
    unstartable.start = async () => {
      throw new Error('no credentials');
    };
    const logger = spyLogger();
    const tracker = new CompositeTracker([unstartable, good], logger);
    await tracker.start(RUN);
    tracker.logSummary({ a: 1 });
    await tracker.finish('failed');
    expect(unstartable.calls).toEqual([]);
    expect(good.calls).toEqual(['start r1', 'summary {"a":1}', 'finish failed']);
    expect(logger.error).toHaveBeenCalledWith(
      'tracker remote failed to start; it is off for this run',
      expect.objectContaining({ tracker: 'remote' }),
    );
  });

  it('skips trackers without logTable', async () => {
    const minimal = new RecordingTracker('minimal');
    Object.defineProperty(minimal, 'logTable', { value: undefined });
    const logger = spyLogger();
    const tracker = new CompositeTracker([minimal], logger);
    tracker.logTable('t', null);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
