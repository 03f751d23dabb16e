/**
 * Seeded random numbers for shuffling and augmentation. A generator is derived from the seed and
 * "stream" numbers (e.g. epoch and image index), so each image's augmentation depends only on
 * (seed, epoch, index) — never on which worker thread produced it or in which order.
 */

/** A seeded pseudo-random generator. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Uniform integer in [min, max], both inclusive (like Python's `random.randint`). */
  int(min: number, max: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
}

/**
 * sfc32 (small fast counter, 128-bit state; passes PractRand) seeded by hashing `seed` and the
 * stream numbers with murmur3's 32-bit finalizer. Equal arguments give equal sequences on every
 * platform. Self-contained — no references outside its body — because its source is also
 * evaluated inside augmentation worker threads.
 */
export function createRng(seed: number, ...streams: number[]): Rng {
  const fmix = (value: number): number => {
    let h = value >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  };
  let h = fmix((seed >>> 0) ^ 0x9e3779b9);
  h = fmix(h ^ (Math.floor(seed / 4294967296) >>> 0));
  for (const stream of streams) h = fmix((Math.imul(h ^ (stream >>> 0), 0x01000193) + 0x7f4a7c15) >>> 0);
  let a = fmix(h ^ 0x1b873593);
  let b = fmix(h ^ 0xcc9e2d51);
  let c = fmix(h ^ 0xe6546b64);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  let spare: number | undefined;
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal: () => {
      // Box–Muller yields two independent normals per pair of uniforms; keep the second.
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spare = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
  };
}

/**
 * A permutation of `0..count-1` for one epoch (Fisher–Yates), from the seed and the epoch only,
 * so a resumed run sees the same order.
 */
export function epochPermutation(count: number, seed: number, epoch: number): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  // Stream tag 1 keeps the shuffle's generator apart from the per-image ones (tag 2).
  const rng = createRng(seed, 1, epoch);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}
