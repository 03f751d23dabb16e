/**
 * Pictures of the evaluation results for the W&B media panel, drawn without a graphics
 * library: a confusion-matrix heatmap and one-vs-rest ROC curves, as RGB PNGs (zlib from Node).
 * W&B also gets the numbers as tables; the pictures are what a reviewer glances at per run, as the
 * old system's `wandb.Image` ROC plots were.
 */
import { crc32, deflateSync } from 'node:zlib';

/** An RGB image being drawn. */
class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height * 3).fill(255);
  }

  set(x: number, y: number, [r, g, b]: readonly [number, number, number]): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const at = (yi * this.width + xi) * 3;
    this.pixels[at] = r;
    this.pixels[at + 1] = g;
    this.pixels[at + 2] = b;
  }

  line(x0: number, y0: number, x1: number, y1: number, color: readonly [number, number, number]): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= steps; i++)
      this.set(x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps, color);
  }

  png(): Uint8Array {
    return encodePng(this.width, this.height, this.pixels);
  }
}

/**
 * A confusion-matrix heatmap: one square per (actual row, predicted column), darker blue for a
 * larger share of the actual class, so a good model shows a dark diagonal whatever the class sizes.
 */
export function confusionMatrixPng(matrix: readonly (readonly number[])[], cell = 16): Uint8Array {
  const n = matrix.length;
  const canvas = new Canvas(Math.max(1, n * cell), Math.max(1, n * cell));
  matrix.forEach((row, actual) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, predicted) => {
      const shade = Math.round(255 * (1 - count / total));
      const color = [shade, shade, 255] as const;
      for (let y = 0; y < cell - 1; y++) {
        for (let x = 0; x < cell - 1; x++) canvas.set(predicted * cell + x, actual * cell + y, color);
      }
    });
  });
  return canvas.png();
}

/** Distinct colors for up to ten curves (matplotlib's tab10), then repeated. */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

/** ROC curves (false positive rate on x, true positive rate on y) over the chance diagonal. */
export function rocCurvesPng(
  curves: readonly { fpr: readonly number[]; tpr: readonly number[] }[],
  size = 256,
): Uint8Array {
  const canvas = new Canvas(size, size);
  const at = (rate: number) => Math.min(1, Math.max(0, rate)) * (size - 1);
  canvas.line(0, size - 1, size - 1, 0, [200, 200, 200]);
  canvas.line(0, size - 1, size - 1, size - 1, [0, 0, 0]);
  canvas.line(0, 0, 0, size - 1, [0, 0, 0]);
  curves.forEach((curve, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    for (let k = 1; k < Math.min(curve.fpr.length, curve.tpr.length); k++) {
      canvas.line(
        at(curve.fpr[k - 1]!),
        size - 1 - at(curve.tpr[k - 1]!),
        at(curve.fpr[k]!),
        size - 1 - at(curve.tpr[k]!),
        color,
      );
    }
  });
  return canvas.png();
}

/** Encodes 8-bit RGB pixels (row-major) as a PNG. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // truecolor RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(typed.length + 8);
  out.writeUInt32BE(data.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), typed.length + 4);
  return out;
}
