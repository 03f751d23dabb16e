import { open } from 'node:fs/promises';
import { MlopsError } from '@mlops/core';

/** Element types of the safetensors format that a checkpoint of float weights uses. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** One tensor of a safetensors file, its values widened to float32. */
export interface SafetensorsTensor {
  /** Element type as stored in the file. */
  readonly dtype: SafetensorsDtype;
  /** Shape, outermost first (PyTorch order: OIHW for conv kernels). */
  readonly shape: readonly number[];
  /** Values as float32 (integers converted; `num_batches_tracked` and the like). */
  readonly values: Float32Array;
}

/** A parsed safetensors file: tensors by state-dict key, and the header's `__metadata__`. */
export interface SafetensorsFile {
  /** Path it was read from. */
  readonly file: string;
  /** Tensors by key (timm's state-dict names). */
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  /** String metadata (`{"format": "pt"}` for files written by PyTorch). */
  readonly metadata: Readonly<Record<string, string>>;
}

const BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The format caps the header at 100 MB; anything larger is not a safetensors file. */
const MAX_HEADER_BYTES = 100_000_000;

function invalid(file: string, why: string, cause?: unknown): MlopsError {
  return new MlopsError('MLOPS_ERR_CHECKPOINT_INVALID', `${file}: not a valid safetensors file: ${why}`, {
    file,
    hint: 'download the checkpoint again (a partial download or a Git LFS pointer file looks like this), or point model.initialCheckpoint at the model.safetensors that timm wrote',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** IEEE half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function toFloat32(dtype: SafetensorsDtype, bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const scratch = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        scratch.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        out[i] = scratch.getFloat32(0, true);
      }
      break;
    }
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}

/**
 * Reads a safetensors file (the format timm and the Hugging Face Hub publish weights in): an
 * 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range, then the raw little-endian data. Every tensor is checked against the header (known dtype,
 * byte length = product of the shape × element size, ranges inside the file) so a truncated
 * download fails here with the file named rather than as garbage weights.
 */
export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MlopsError(
      'MLOPS_ERR_CHECKPOINT_INVALID',
      `${file}: cannot read the checkpoint (${code ?? (error as Error).message})`,
      { file, hint: 'check the path in model.initialCheckpoint', cause: error },
    );
  }
  try {
    const { size } = await handle.stat();
    if (size < 8) throw invalid(file, `${size} bytes is too short`);
    const lengthBytes = Buffer.alloc(8);
    await handle.read(lengthBytes, 0, 8, 0);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
      throw invalid(file, `header length ${headerLength} does not fit a file of ${size} bytes`);
    }
    const headerBytes = Buffer.alloc(headerLength);
    await handle.read(headerBytes, 0, headerLength, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw invalid(file, 'the header is not JSON', error);
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) {
      throw invalid(file, 'the header is not a JSON object');
    }
    const dataStart = 8 + headerLength;
    const dataLength = size - dataStart;
    const data = Buffer.alloc(dataLength);
    if (dataLength > 0) await handle.read(data, 0, dataLength, dataStart);
    const tensors = new Map<string, SafetensorsTensor>();
    let metadata: Record<string, string> = {};
    for (const [key, entry] of Object.entries(header)) {
      if (key === '__metadata__') {
        metadata = (entry ?? {}) as Record<string, string>;
        continue;
      }
      const {
        dtype,
        shape,
        data_offsets: offsets,
      } = (entry ?? {}) as {
        dtype?: unknown;
        shape?: unknown;
        data_offsets?: unknown;
      };
      if (typeof dtype !== 'string' || !(dtype in BYTES)) {
        throw invalid(file, `tensor "${key}" has unsupported dtype ${JSON.stringify(dtype)}`);
      }
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw invalid(file, `tensor "${key}" has an invalid shape ${JSON.stringify(shape)}`);
      }
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o))) {
        throw invalid(file, `tensor "${key}" has invalid data_offsets ${JSON.stringify(offsets)}`);
      }
      const [begin, end] = offsets as [number, number];
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      const bytes = BYTES[dtype as SafetensorsDtype];
      if (begin < 0 || end < begin || end > dataLength) {
        throw invalid(
          file,
          `tensor "${key}" lies outside the file (bytes ${begin}–${end} of ${dataLength}); the file is truncated`,
        );
      }
      if (end - begin !== count * bytes) {
        throw invalid(
          file,
          `tensor "${key}" holds ${end - begin} bytes, its shape [${shape}] needs ${count * bytes}`,
        );
      }
      tensors.set(key, {
        dtype: dtype as SafetensorsDtype,
        shape: shape as number[],
        values: toFloat32(dtype as SafetensorsDtype, data.subarray(begin, end), count),
      });
    }
    return { file, tensors, metadata };
  } finally {
    await handle.close();
  }
}
