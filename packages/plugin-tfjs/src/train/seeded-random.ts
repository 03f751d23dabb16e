import type { LayersModel } from '@tensorflow/tfjs-layers';

/**
 * Reproducible dropout and drop path. tfjs draws each random mask from a generator seeded by
 * `Math.random()` (tfjs-core `rand_util`: `seed ?? Math.random()`), and a Dropout layer with a
 * fixed `seed` would reuse one mask forever. So the zoo's Dropout and DropPath layers carry no
 * seed, and the trainer runs every (synchronous) training step with `Math.random` temporarily
 * replaced by a generator seeded from `(seed, step)`: masks differ from step to step (and layer to
 * layer, each drawing the stream's next value) yet are the same on a rerun or a resumed run.
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

type ModelLayer = LayersModel['layers'][number];

/**
 * Clears a fixed `seed` on the model's dropout layers (class `*Dropout`) and returns their names.
 * With a seed, tfjs-layers' Dropout draws the same mask on every call; without one its masks come
 * from `Math.random()`, i.e. from the per-step stream of {@link withSeededMathRandom}. The zoo
 * builds unseeded dropout; this catches models saved before it did (or built elsewhere).
 */
export function unseedDropoutLayers(model: LayersModel): string[] {
  const cleared: string[] = [];
  for (const layer of model.layers) {
    const holder = layer as ModelLayer & { seed?: unknown };
    if (layer.getClassName().endsWith('Dropout') && holder.seed != null) {
      holder.seed = undefined;
      cleared.push(layer.name);
    }
  }
  return cleared;
}
