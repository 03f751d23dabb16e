/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order in the
 * result. Used for per-file store work: all-at-once would exhaust file descriptors on a dataset of
 * 70,000 images, one-at-a-time would leave the disk idle.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true; // stop the other workers from starting more work after the first failure
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
