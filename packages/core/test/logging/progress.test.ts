import { describe, expect, it } from 'vitest';
import { createProgress, formatClock } from '../../src/logging/progress.js';

/** A fake stream and clock. */
function setup(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  let now = 0;
  const clock = {
    set: (ms: number) => {
      now = ms;
    },
  };
  const stream = { isTTY, columns, write: (s: string) => writes.push(s) };
  return { writes, clock, options: { stream, now: () => now } };
}

const CLEAR = '\r\u001b[2K';

describe('createProgress on a TTY', () => {
  it('draws label, bar, percent, count, rate, ETA and info', () => {
    const { writes, clock, options } = setup(true);
    const progress = createProgress(6000, 'train', options);
    clock.set(3325);
    progress.tick(2700, 'loss 0.41');
    expect(writes).toEqual([
      `${CLEAR}train [#########-----------] 45% 2700/6000 812 img/s ETA 0:04 loss 0.41`,
    ]);
  });

  it('redraws at most ~10 times a second, and always at 100%', () => {
    const { writes, clock, options } = setup(true);
    const progress = createProgress(1000, 'eval', options);
    for (let i = 1; i <= 1000; i++) {
      clock.set(i); // 1 ms per unit: 1 second in all
      progress.tick();
    }
    expect(writes.length).toBeGreaterThanOrEqual(10);
    expect(writes.length).toBeLessThanOrEqual(12);
    expect(writes.at(-1)).toContain('100% 1000/1000');
    expect(writes.every((w) => w.startsWith(CLEAR) && !w.includes('\n'))).toBe(true);
  });

  it('ends with a summary line replacing the bar', () => {
    const { writes, clock, options } = setup(true);
    const progress = createProgress(10, 'epoch 1/3', { ...options, unit: 'batch' });
    clock.set(2000);
    progress.tick(10);
    progress.done('loss 0.3');
    progress.done('again');
    progress.tick(5);
    expect(writes.at(-1)).toBe(`${CLEAR}epoch 1/3 done 10/10 in 0:02, 5.00 batch/s, loss 0.3\n`);
    expect(writes).toHaveLength(2);
  });

  it('cuts lines to the terminal width so redraws stay on one row', () => {
    const { writes, options } = setup(true, 30);
    createProgress(100, 'a-rather-long-label', options).tick(1, 'and some info');
    expect(writes[0]!.length - CLEAR.length).toBe(29);
  });
});

describe('createProgress without a TTY', () => {
  it('prints a plain line at every 10%, then the summary', () => {
    const { writes, clock, options } = setup(false);
    const progress = createProgress(6000, 'train', options);
    for (let i = 1; i <= 60; i++) {
      clock.set(i * 100);
      progress.tick(100);
    }
    progress.done();
    expect(writes).toHaveLength(10);
    expect(writes[0]).toBe('train 10% 600/6000 1000 img/s ETA 0:05\n');
    expect(writes[8]).toMatch(/^train 90% 5400\/6000 /);
    expect(writes[9]).toBe('train done 6000/6000 in 0:06, 1000 img/s\n');
    expect(writes.some((w) => w.includes('\r'))).toBe(false);
  });

  it('prints at least every 10 seconds when progress is slow', () => {
    const { writes, clock, options } = setup(false);
    const progress = createProgress(1000, 'slow', options);
    for (let i = 1; i <= 35; i++) {
      clock.set(i * 1000);
      progress.tick();
    }
    expect(writes).toEqual([
      'slow 1% 10/1000 1.00 img/s ETA 16:30\n',
      'slow 2% 20/1000 1.00 img/s ETA 16:20\n',
      'slow 3% 30/1000 1.00 img/s ETA 16:10\n',
    ]);
  });

  it('works with an unknown total', () => {
    const { writes, clock, options } = setup(false);
    const progress = createProgress(0, 'scan', options);
    clock.set(10_000);
    progress.tick(50);
    progress.done();
    expect(writes).toEqual(['scan 50 5.00 img/s\n', 'scan done 50 in 0:10, 5.00 img/s\n']);
  });
});

describe('formatClock', () => {
  it('formats m:ss and h:mm:ss', () => {
    expect(formatClock(4_000)).toBe('0:04');
    expect(formatClock(754_000)).toBe('12:34');
    expect(formatClock(3_723_000)).toBe('1:02:03');
    expect(formatClock(Number.POSITIVE_INFINITY)).toBe('--:--');
  });
});
