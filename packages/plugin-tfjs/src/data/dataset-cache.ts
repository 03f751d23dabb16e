import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResizeRecipe } from '@mlops/core';
import {
  type ArtifactStore,
  type DataOutput,
  localCacheDir,
  MlopsError,
  mapLimit,
  type Progress,
  scanImageFolder,
} from '@mlops/core';
import { decodeImage } from './decode.js';
import { allocateDecodedSplit, type DecodedSplit, imageBytes } from './decoded-split.js';
import { readDecodedSplitFile, writeDecodedSplitFile } from './decoded-split-file.js';
import { resizeRecipeKey } from './resize.js';

/**
 * Version of the decoding recipe (crop, resampling, channel conversion). Part of the cache key:
 * bump it when decoding changes, so stale caches are not reused.
 */
export const DECODE_VERSION = 1;

/** Options of {@link loadDecodedSplit}. */
export interface LoadDecodedSplitOptions {
  /** Store holding the dataset tree. */
  store: ArtifactStore;
  /** The data stage's output (dataset tree, version, classes). */
  data: Pick<DataOutput, 'dataset' | 'version' | 'classes'>;
  /** Split to decode, e.g. `train`. */
  split: string;
  /** Square size images are decoded to (the model's input size). */
  size: number;
  /** Channels the model takes. */
  channels: 1 | 3;
  /** How images become the input square (part of the cache key); default `cover`. */
  resize?: ResizeRecipe;
  /**
   * Directory of the cache files. Default `<store>/cache/decoded` for a local store, else the
   * OS temp directory.
   */
  cacheDir?: string;
  /** Starts a progress indicator (e.g. `(total, label) => ctx.progress(total, label)`). */
  progress?: (total: number, label: string) => Progress;
  /** Images decoded at once. Default 16. */
  concurrency?: number;
}

/** The cache file of a split: keyed by data version, split, size, channels and decoder version. */
export function decodedSplitPath(options: Omit<LoadDecodedSplitOptions, 'progress' | 'concurrency'>): string {
  const dir =
    options.cacheDir ??
    (localCacheDir(options.store)
      ? join(localCacheDir(options.store) ?? '', 'decoded')
      : join(tmpdir(), 'mlops-decoded'));
  // `cover` keeps the name it always had, so existing caches stay valid.
  const recipe =
    options.resize && options.resize.mode !== 'cover' ? `-${resizeRecipeKey(options.resize)}` : '';
  const name = `${options.data.version}-${options.split}-${options.size}x${options.size}x${options.channels}${recipe}-d${DECODE_VERSION}.bin`;
  return join(dir, name);
}

/**
 * One split of the dataset decoded to `size`×`size`×`channels`, all images in one shared buffer.
 * The first call decodes every image and writes the cache file; later runs with the same data
 * version, split, size and channels read that file and decode nothing.
 */
export async function loadDecodedSplit(options: LoadDecodedSplitOptions): Promise<DecodedSplit> {
  const cachePath = decodedSplitPath(options);
  const cached = await readDecodedSplitFile(cachePath);
  if (cached && cached.split === options.split && sameLabels(cached.classes, options.data.classes))
    return cached;

  const root = await options.store.localPath(options.data.dataset);
  const scan = await scanImageFolder(root, { splits: { [options.split]: options.split } }).catch(
    (error: unknown) => {
      throw new MlopsError(
        'MLOPS_ERR_DATA_INVALID',
        `dataset ${options.data.version.slice(0, 12)} has no usable split "${options.split}" (${root})`,
        {
          cause: error,
          file: root,
          hint: 'Use a split the data stage produced (train, validation, or test when the source has one).',
        },
      );
    },
  );
  if (!sameLabels(scan.classes, options.data.classes)) {
    throw new MlopsError(
      'MLOPS_ERR_DATA_INVALID',
      `dataset tree ${root} has classes [${scan.classes.join(', ')}], but the data stage reported [${options.data.classes.join(', ')}]`,
      {
        file: root,
        hint: 'Rerun the data stage (mlops run data --force) so its output matches the stored tree.',
      },
    );
  }
  const split = allocateDecodedSplit({
    split: options.split,
    classes: scan.classes,
    count: scan.files.length,
    height: options.size,
    width: options.size,
    channels: options.channels,
  });
  const bytes = imageBytes(split);
  const progress = options.progress?.(scan.files.length, `decoding ${options.split} at ${options.size}px`);
  await mapLimit(scan.files, options.concurrency ?? 16, async (file, i) => {
    let pixels: Uint8Array;
    try {
      // A synchronous read: for small files it is several times faster than fs.promises, whose
      // open/stat/read/close each take a thread-pool round trip.
      pixels = await decodeImage(readFileSync(file.path), {
        size: options.size,
        channels: options.channels,
        ...(options.resize ? { resize: options.resize } : {}),
      });
    } catch (error) {
      throw new MlopsError(
        'MLOPS_ERR_DATA_CORRUPT_IMAGE',
        `cannot decode ${file.path}: ${(error as Error).message}`,
        {
          file: file.path,
          cause: error,
          hint: "Rerun the data stage with an ImageInspector registered and data.onCorrupt: 'skip' to leave such files out.",
        },
      );
    }
    split.images.set(pixels, i * bytes);
    split.labels[i] = file.classIndex;
    progress?.tick();
  });
  progress?.done(`${split.count} images`);
  await writeDecodedSplitFile(cachePath, split);
  return split;
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, i) => label === b[i]);
}
