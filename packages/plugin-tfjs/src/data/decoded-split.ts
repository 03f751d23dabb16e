/**
 * One split decoded to a fixed size: all images in one buffer, so batches are slices and worker
 * threads share it without copying.
 */
export interface DecodedSplit {
  /** Split name, e.g. `train`. */
  split: string;
  /** Class labels, in index order. */
  classes: string[];
  /** Number of images. */
  count: number;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Channels (1 or 3). */
  channels: 1 | 3;
  /** `count × height × width × channels` bytes, HWC per image, backed by a SharedArrayBuffer. */
  images: Uint8Array;
  /** Class index per image, backed by a SharedArrayBuffer. */
  labels: Int32Array;
}

/** Bytes of one image of the split. */
export function imageBytes(split: Pick<DecodedSplit, 'height' | 'width' | 'channels'>): number {
  return split.height * split.width * split.channels;
}

/** Allocates the shared buffers of a split of `count` images. */
export function allocateDecodedSplit(meta: Omit<DecodedSplit, 'images' | 'labels'>): DecodedSplit {
  const images = new Uint8Array(new SharedArrayBuffer(meta.count * imageBytes(meta)));
  const labels = new Int32Array(new SharedArrayBuffer(meta.count * 4));
  return { ...meta, images, labels };
}
