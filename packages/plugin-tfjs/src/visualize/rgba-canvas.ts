import { encodePng } from '../data/png/png-encode.js';

/** A colour: red, green, blue, alpha, each 0–255. */
export type Rgba = readonly [number, number, number, number];

/** White, opaque. */
export const WHITE: Rgba = [255, 255, 255, 255];

/**
 * A minimal raster for the pictures sent to trackers (sample grids, confusion matrices, ROC
 * curves): rectangles and lines into an RGBA buffer, encoded with the package's own PNG encoder —
 * enough for plots without a canvas or font dependency. Drawing outside the bounds is clipped.
 */
export class RgbaCanvas {
  /** `height * width * 4` bytes, row-major RGBA. */
  readonly data: Uint8Array;

  /**
   * @param width pixels
   * @param height pixels
   * @param background initial colour of every pixel
   */
  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgba = WHITE,
  ) {
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      throw new RangeError(`RgbaCanvas: invalid size ${width}×${height}`);
    }
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel (ignored outside the canvas). */
  setPixel(x: number, y: number, color: Rgba): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    this.data.set(color, (py * this.width + px) * 4);
  }

  /** Fills the rectangle `[x, x + w) × [y, y + h)`, clipped to the canvas. */
  fillRect(x: number, y: number, w: number, h: number, color: Rgba): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let row = y0; row < y1; row++) {
      for (let col = x0; col < x1; col++) this.data.set(color, (row * this.width + col) * 4);
    }
  }

  /** A straight line from `(x0, y0)` to `(x1, y1)`, `thickness` pixels wide (square pen). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgba, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = (thickness - 1) / 2;
    for (let i = 0; i <= steps; i++) {
      const t = i / steps;
      const x = x0 + (x1 - x0) * t;
      const y = y0 + (y1 - y0) * t;
      if (thickness <= 1) this.setPixel(x, y, color);
      else this.fillRect(x - half, y - half, thickness, thickness, color);
    }
  }

  /** The canvas as PNG bytes (8-bit RGBA). */
  toPng(): Uint8Array {
    return encodePng(this.data, this.width, this.height, 4);
  }
}
