/**
 * The inverse-mapping affine matrix PIL's `Image.rotate(degrees)` (no expand, no translate)
 * hands to `Image.transform`: a counter-clockwise rotation by `degrees` about the image centre
 * (width/2, height/2), with cos and sin rounded to 15 decimals as PIL rounds them (so 90° maps
 * pixel centres exactly onto pixel centres). Self-contained (evaluated in worker threads too).
 */
export function rotationMatrix(degrees: number, width: number, height: number): number[] {
  const radians = (-degrees * Math.PI) / 180;
  const cos = Math.round(Math.cos(radians) * 1e15) / 1e15;
  const sin = Math.round(Math.sin(radians) * 1e15) / 1e15;
  const cx = width / 2;
  const cy = height / 2;
  return [cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy];
}
