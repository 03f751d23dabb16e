/**
 * A small seeded generator for the search: the same seed and history give the same suggestions on
 * every machine, so a resumed sweep and a test are reproducible. `mulberry32` (32-bit state, fast,
 * good enough for sampling; not for cryptography).
 */
import { createHash } from 'node:crypto';

/** A seeded source of random numbers. */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/** A generator seeded from any number of parts (`seed`, trial index, a label). */
export function seededRandom(...parts: (string | number)[]): SeededRandom {
  let state = createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0);
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    normal() {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    int: (n) => Math.min(n - 1, Math.floor(next() * n)),
  };
}
