import { describe, expect, it } from 'vitest';
import { createRng, epochPermutation } from '../../src/data/rng.js';
import { stats } from './helpers/images.js';

describe('seeded random numbers', () => {
  it('repeats for equal seeds and streams, and differs otherwise', () => {
    const draw = (seed: number, ...streams: number[]) => {
      const rng = createRng(seed, ...streams);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(draw(42, 1, 2)).toEqual(draw(42, 1, 2));
    expect(draw(42, 1, 2)).not.toEqual(draw(42, 2, 1));
    expect(draw(42, 1, 2)).not.toEqual(draw(43, 1, 2));
    expect(draw(2 ** 40 + 1)).not.toEqual(draw(1));
  });

  it('draws uniform, integer and normal values with the right moments', () => {
    const rng = createRng(7);
    const uniform = Array.from({ length: 20000 }, () => rng.next());
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniform)).toBeLessThan(1);
    expect(stats(uniform).mean).toBeCloseTo(0.5, 1);
    const ints = Array.from({ length: 5000 }, () => rng.int(2, 4));
    expect(new Set(ints)).toEqual(new Set([2, 3, 4]));
    const normal = stats(Array.from({ length: 20000 }, () => rng.normal()));
    expect(normal.mean).toBeCloseTo(0, 1);
    expect(normal.variance).toBeCloseTo(1, 1);
  });

  it('permutes per epoch, deterministically', () => {
    const a = epochPermutation(100, 42, 1);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(epochPermutation(100, 42, 1)).toEqual(a);
    expect(epochPermutation(100, 42, 2)).not.toEqual(a);
  });
});
