import { describe, expect, it } from 'vitest';
import { summarizeHistogram } from '../../src/tracker/histogram-bins.js';

describe('summarizeHistogram', () => {
  it('counts equal-width bins and computes moments', () => {
    const summary = summarizeHistogram(
      Array.from({ length: 100 }, (_, i) => i),
      10,
    );
    expect(summary.bins).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(summary).toMatchObject({ count: 100, min: 0, max: 99, mean: 49.5 });
    expect(summary.std).toBeCloseTo(28.866, 3);
    expect(summary.nonFinite).toBeUndefined();
  });

  it('leaves out NaN and infinities, counting them', () => {
    const summary = summarizeHistogram([1, Number.NaN, 3, Number.POSITIVE_INFINITY], 2);
    expect(summary).toEqual({ count: 2, min: 1, max: 3, mean: 2, std: 1, bins: [1, 1], nonFinite: 2 });
  });

  it('handles constant and empty input', () => {
    expect(summarizeHistogram([5, 5, 5], 3).bins).toEqual([3, 0, 0]);
    expect(summarizeHistogram([], 3)).toEqual({ count: 0, min: 0, max: 0, mean: 0, std: 0, bins: [0, 0, 0] });
  });
});
