import { deflateSync } from 'node:zlib';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * Encodes 8-bit gray or RGB pixels (row-major, `width * height * channels` bytes) as a PNG, with
 * no image library: the load test's built-in request image, and test images.
 */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : 2; // grayscale or truecolour
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Encodes 8-bit grayscale pixels (row-major, `width * height` bytes) as a PNG ({@link encodePng}). */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  return encodePng(pixels, width, height, 1);
}

/**
 * A 28×28 grayscale PNG like a Fashion-MNIST image (a bright trouser-like shape on black): the
 * default image of `mlops loadtest`, generated at runtime.
 */
export function samplePng(size = 28): Buffer {
  const pixels = new Uint8Array(size * size);
  const unit = size / 28;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const row = y / unit;
      const col = x / unit;
      const waist = row >= 3 && row < 7 && col >= 8 && col < 20;
      const legs = row >= 7 && row < 26 && ((col >= 8 && col < 13) || (col >= 15 && col < 20));
      if (waist || legs) pixels[y * size + x] = 170 + ((x * 7 + y * 3) % 60);
    }
  }
  return encodeGrayPng(pixels, size, size);
}
