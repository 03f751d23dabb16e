/**
 * Deterministic train/validation/test assignment of the npm-shipped datasets, which come without
 * split markers. Every rule depends only on the class, the image's position and the fractions —
 * never on a random generator's state — so the same package always gives the same split.
 */

/** A split name of the generated ImageFolder trees. */
export type SplitName = 'train' | 'validation' | 'test';

/**
 * Identifies these rules in the cache key of materialized datasets: bump when a rule changes so
 * old materializations are not reused.
 */
export const SPLIT_RULES_VERSION = 1;

/** murmur3's 32-bit finalizer of (salt, value): a stable, well-mixed hash of an index. */
export function hashIndex(salt: number, value: number): number {
  let h = (Math.imul(salt ^ 0x9e3779b9, 0x85ebca6b) ^ value) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `positions` ordered by their hash (ties by position): a fixed pseudo-random ranking. */
export function rankByHash(positions: readonly number[], salt: number): number[] {
  return [...positions].sort((a, b) => hashIndex(salt, a) - hashIndex(salt, b) || a - b);
}

/** Validation size of a train part: `round(fraction × size)`, at least 1 when the fraction is positive. */
function validationCount(trainSize: number, fraction: number): number {
  if (!(fraction >= 0 && fraction < 1))
    throw new RangeError(`validationFraction must be in [0, 1), got ${fraction}`);
  if (fraction === 0 || trainSize < 2) return 0;
  return Math.max(1, Math.round(fraction * trainSize));
}

/**
 * Fashion-MNIST (7,000 images per class in the `fashion-mnist` package: the official 60k train and
 * 10k test sets merged). Positions 0–999 of each class → `test`, 1000–6999 → train, and of those
 * the `validationFraction` ranked first by {@link rankByHash} (salted with the class) →
 * `validation`. Why the first 1,000 are taken as the test set: the package's class-0 file holds
 * an empty entry after exactly 1,000 images and another at the end — the trace of two sources
 * concatenated, a 1,000-image one (test-sized) first. Nothing else marks the boundary.
 */
export function fashionMnistSplits(
  count: number,
  classIndex: number,
  validationFraction: number,
): SplitName[] {
  const testSize = Math.min(1000, count);
  const splits: SplitName[] = Array.from({ length: count }, (_, i) => (i < testSize ? 'test' : 'train'));
  const train = Array.from({ length: count - testSize }, (_, i) => i + testSize);
  const ranked = rankByHash(train, classIndex);
  for (const position of ranked.slice(0, validationCount(train.length, validationFraction)))
    splits[position] = 'validation';
  return splits;
}

/**
 * MNIST (about 1,000 images per digit in the `mnist` package, no split markers): per class, the
 * images ranked by {@link rankByHash} (salted with the class) — the first 10 % → `test`, then
 * `validationFraction` of the remaining train part → `validation`, the rest → `train`
 * (81/9/10 % with the default fraction 0.1).
 */
export function mnistSplits(count: number, classIndex: number, validationFraction: number): SplitName[] {
  const splits: SplitName[] = new Array<SplitName>(count).fill('train');
  const ranked = rankByHash(
    Array.from({ length: count }, (_, i) => i),
    classIndex,
  );
  const testSize = Math.round(0.1 * count);
  const valSize = validationCount(count - testSize, validationFraction);
  ranked.forEach((position, rank) => {
    if (rank < testSize) splits[position] = 'test';
    else if (rank < testSize + valSize) splits[position] = 'validation';
  });
  return splits;
}
