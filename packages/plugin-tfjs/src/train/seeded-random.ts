/**
 * Reproducible dropout. tfjs draws each dropout mask from a generator seeded by `Math.random()`
 * (tfjs-core `rand_util`: `seed ?? Math.random()`), and a Dropout layer with a fixed `seed`
 * would reuse one mask forever. So the trainer runs every (synchronous) training step with
 * `Math.random` temporarily replaced by a generator seeded from `(seed, step)`: masks differ from
 * step to step yet are the same on a rerun or a resumed run.
 */

/** 32-bit mix of the run seed and a step number (splitmix-style avalanche). */
export function mixSeed(seed: number, step: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(step | 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: a small, fast, well-distributed 32-bit generator returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Calls `fn` with `Math.random` replaced by a generator seeded with `seed`, restoring it
 * afterwards. `fn` must be synchronous — an `await` inside would let unrelated code draw from the
 * seeded generator — so a returned promise is rejected as a programming error.
 */
export function withSeededMathRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  Math.random = mulberry32(seed);
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('withSeededMathRandom needs a synchronous function');
    return result;
  } finally {
    Math.random = original;
  }
}
