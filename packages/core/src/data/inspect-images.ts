import type { ImageInspector } from '../services/data-source.js';
import { mapLimit } from '../util/map-limit.js';
import { FileHashCache } from './file-hash-cache.js';
import { InspectionCache, type InspectionResult } from './inspection-cache.js';

/** Options of {@link inspectImages}. */
export interface InspectImagesOptions {
  /** Decodes images; without one every image is accepted unchecked. */
  inspector?: ImageInspector;
  /** Directory of the hash and inspection caches; none keeps them in memory. */
  cacheDir?: string;
  /** Images decoded at once. Default 8. */
  concurrency?: number;
  /** Called after each image. */
  onImage?: () => void;
}

/**
 * Inspects images (absolute paths), reusing results cached by content hash. Returns one result
 * per path, in order; `undefined` entries mean "not checked" (no inspector).
 */
export async function inspectImages(
  paths: readonly string[],
  options: InspectImagesOptions,
): Promise<(InspectionResult | undefined)[]> {
  const { inspector } = options;
  if (!inspector) {
    for (const _ of paths) options.onImage?.();
    return paths.map(() => undefined);
  }
  const hashes = await FileHashCache.open(options.cacheDir);
  const cache = await InspectionCache.open(options.cacheDir);
  try {
    return await mapLimit(paths, options.concurrency ?? 8, async (path) => {
      const { hash } = await hashes.digest(path);
      let result = cache.get(hash);
      if (!result) {
        result = await inspector.inspect(path).then(
          (info): InspectionResult => ({
            ok: true,
            width: info.width,
            height: info.height,
            channels: info.channels,
            format: info.format,
          }),
          (error: unknown): InspectionResult => ({
            ok: false,
            reason: error instanceof Error ? error.message : String(error),
          }),
        );
        cache.set(hash, result);
      }
      options.onImage?.();
      return result;
    });
  } finally {
    // Keep what was learnt even when the run is interrupted half-way.
    await hashes.save();
    await cache.save();
  }
}
