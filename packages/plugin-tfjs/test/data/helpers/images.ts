import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp directory. */
export function tempDir(prefix = 'mlops-tfjs-data-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** An HWC image of `height`×`width`×`channels` from a pixel function. */
export function pattern(
  height: number,
  width: number,
  channels: number,
  pixel: (y: number, x: number, c: number) => number,
): Uint8Array {
  const out = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = pixel(y, x, c);
    }
  }
  return out;
}

/** Mean and variance of numbers. */
export function stats(values: ArrayLike<number>): { mean: number; variance: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += ((values[i] as number) - mean) ** 2;
  return { mean, variance: sq / values.length };
}
