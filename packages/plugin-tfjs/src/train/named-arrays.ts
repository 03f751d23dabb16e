import { readFile } from 'node:fs/promises';
import { MlopsError, writeFileAtomic } from '@mlops/core';

/**
 * A float32 tensor as plain data, named: how optimizer moments, EMA shadows and resume weights are
 * exported, stored and imported without keeping tensors alive.
 */
export interface NamedArray {
  /** Stable name within its group, e.g. `param:3/m` (index-based: tfjs variable names are not stable across processes). */
  name: string;
  /** Tensor shape; `[]` for a scalar. */
  shape: number[];
  /** Row-major values; length is the product of `shape`. */
  values: Float32Array;
}

const MAGIC = 'MLNA1';

interface ArrayHeaderEntry {
  name: string;
  shape: number[];
  length: number;
}

/** Number of elements of a shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Serialises arrays to one buffer: `MLNA1`, a little-endian uint32 header length, a JSON header
 * (names, shapes, lengths), then the float32 values back to back (little-endian).
 */
export function encodeNamedArrays(arrays: readonly NamedArray[]): Uint8Array {
  const header: ArrayHeaderEntry[] = arrays.map((a) => {
    if (a.values.length !== shapeSize(a.shape)) {
      throw new Error(`Array '${a.name}' has ${a.values.length} values for shape [${a.shape.join(', ')}]`);
    }
    return { name: a.name, shape: a.shape, length: a.values.length };
  });
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const valueCount = arrays.reduce((n, a) => n + a.values.length, 0);
  const out = new Uint8Array(MAGIC.length + 4 + headerBytes.length + valueCount * 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(MAGIC.length, headerBytes.length, true);
  out.set(headerBytes, MAGIC.length + 4);
  let offset = MAGIC.length + 4 + headerBytes.length;
  for (const a of arrays) {
    for (let i = 0; i < a.values.length; i++, offset += 4) view.setFloat32(offset, a.values[i]!, true);
  }
  return out;
}

/** Parses a buffer written by {@link encodeNamedArrays}; throws on a malformed or truncated one. */
export function decodeNamedArrays(bytes: Uint8Array): NamedArray[] {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC)
    throw new MlopsError('MLOPS_ERR_CHECKPOINT_INVALID', 'Not a named-array file (bad magic)', {
      hint: 'The training state file is damaged: start afresh with mlops run train --force.',
    });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const headerStart = MAGIC.length + 4;
  if (headerStart + headerLength > bytes.byteLength)
    throw new MlopsError('MLOPS_ERR_CHECKPOINT_INVALID', 'Named-array file is truncated', {
      hint: 'The training state file is damaged: start afresh with mlops run train --force.',
    });
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength)),
  ) as ArrayHeaderEntry[];
  let offset = headerStart + headerLength;
  const arrays: NamedArray[] = [];
  for (const entry of header) {
    if (offset + entry.length * 4 > bytes.byteLength)
      throw new MlopsError('MLOPS_ERR_CHECKPOINT_INVALID', 'Named-array file is truncated', {
        hint: 'The training state file is damaged: start afresh with mlops run train --force.',
      });
    const values = new Float32Array(entry.length);
    for (let i = 0; i < entry.length; i++, offset += 4) values[i] = view.getFloat32(offset, true);
    arrays.push({ name: entry.name, shape: entry.shape, values });
  }
  return arrays;
}

/** Writes arrays to `path` atomically (see {@link encodeNamedArrays} for the format). */
export async function writeNamedArraysFile(path: string, arrays: readonly NamedArray[]): Promise<void> {
  await writeFileAtomic(path, encodeNamedArrays(arrays));
}

/** Reads a file written by {@link writeNamedArraysFile}. */
export async function readNamedArraysFile(path: string): Promise<NamedArray[]> {
  return decodeNamedArrays(await readFile(path));
}

/** Prefixes every array's name with `group/`, to store several groups in one file. */
export function prefixNames(group: string, arrays: readonly NamedArray[]): NamedArray[] {
  return arrays.map((a) => ({ ...a, name: `${group}/${a.name}` }));
}

/** The arrays of `group` (see {@link prefixNames}), with the prefix removed. */
export function selectGroup(group: string, arrays: readonly NamedArray[]): NamedArray[] {
  const prefix = `${group}/`;
  return arrays
    .filter((a) => a.name.startsWith(prefix))
    .map((a) => ({ ...a, name: a.name.slice(prefix.length) }));
}
