import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the timm-generated fixtures (see its README and make_timm_fixtures.py). */
export const TIMM_FIXTURES = fileURLToPath(new URL('../fixtures/timm/', import.meta.url));

/** Reads a little-endian float32 file of the fixtures. */
export function readFloats(...path: string[]): Float32Array {
  const bytes = readFileSync(join(TIMM_FIXTURES, ...path));
  const out = new Float32Array(bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Reads a JSON file of the fixtures. */
export function readFixtureJson<T>(...path: string[]): T {
  return JSON.parse(readFileSync(join(TIMM_FIXTURES, ...path), 'utf8')) as T;
}

/** NCHW → NHWC. */
export function nchwToNhwc(x: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < (n as number); b++)
    for (let ch = 0; ch < (c as number); ch++)
      for (let y = 0; y < (h as number); y++)
        for (let xx = 0; xx < (w as number); xx++)
          out[((b * (h as number) + y) * (w as number) + xx) * (c as number) + ch] = x[
            ((b * (c as number) + ch) * (h as number) + y) * (w as number) + xx
          ] as number;
  return out;
}

/** What `expected.json` of a model fixture holds (the fields the tests use). */
export interface ExpectedOutputs {
  architecture: string;
  inputSize: number;
  labelNames: string[];
  input: { file: string; shape: [number, number, number, number] };
  logits: number[][];
  probabilities: number[][];
}
