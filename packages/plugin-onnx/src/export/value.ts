import type { GraphBuilder } from '../onnx/graph-builder.js';

/**
 * A Keras tensor as it exists in the ONNX graph.
 *
 * Images enter as NHWC and are transposed to NCHW once, at the input; from there every rank-3
 * Keras tensor `[H, W, C]` is held as ONNX `[N, C, H, W]` (`layout: 'nchw'`), so no layer needs a
 * transpose. A Flatten of an NCHW tensor yields elements in C,H,W order instead of Keras's H,W,C
 * (`flattenedFrom`); a following Dense absorbs that by permuting its kernel rows.
 */
export interface Value {
  /** ONNX tensor name. */
  name: string;
  /** Keras shape without the batch dimension. */
  shape: number[];
  /** `nchw` for rank-3 image tensors, `keras` when the ONNX layout equals the Keras one. */
  layout: 'nchw' | 'keras';
  /** Set on rank-1 values flattened from NCHW `[C, H, W]`: elements are in C,H,W order. */
  flattenedFrom?: [number, number, number];
  /** Set by ZeroPadding2D: zero pads `[top, left, bottom, right]` not yet applied to `name`. */
  pendingPads?: [number, number, number, number];
}

/** ONNX axis of a Keras axis (`-1`, or 1-based including batch) for a value. */
export function onnxAxis(value: Value, kerasAxis: number): number {
  const rank = value.shape.length + 1;
  const axis = kerasAxis < 0 ? rank + kerasAxis : kerasAxis;
  if (value.layout !== 'nchw') return axis;
  // Keras [N, H, W, C] → ONNX [N, C, H, W]
  return [0, 2, 3, 1][axis] as number;
}

/** Emits the ops that make `value` a plain tensor: applies pending pads and Keras element order. */
export function materialize(b: GraphBuilder, value: Value, base: string): Value {
  let current = value;
  if (current.pendingPads) {
    const [t, l, bottom, r] = current.pendingPads;
    const pads = b.constant(
      `${base}/pads`,
      [8],
      BigInt64Array.from([0, 0, t, l, 0, 0, bottom, r].map(BigInt)),
    );
    const name = b.op('Pad', `${base}/pad`, [current.name, pads], { mode: { s: 'constant' } });
    const { pendingPads: _, ...rest } = current;
    current = { ...rest, name };
  }
  if (current.flattenedFrom) {
    const [c, h, w] = current.flattenedFrom;
    const toNchw = b.constant(`${base}/nchw_shape`, [4], BigInt64Array.from([-1, c, h, w].map(BigInt)));
    const nchw = b.op('Reshape', `${base}/unflatten`, [current.name, toNchw]);
    const nhwc = b.op('Transpose', `${base}/to_nhwc`, [nchw], { perm: { ints: [0, 2, 3, 1] } });
    const flat = b.op('Flatten', `${base}/flatten_nhwc`, [nhwc], { axis: { i: 1 } });
    current = { name: flat, shape: current.shape, layout: 'keras' };
  }
  return current;
}

/** The value in Keras element order (NHWC for images), for layers that work on Keras layouts. */
export function toKerasLayout(b: GraphBuilder, value: Value, base: string): string {
  const plain = materialize(b, value, base);
  if (plain.layout !== 'nchw') return plain.name;
  return b.op('Transpose', `${base}/to_nhwc`, [plain.name], { perm: { ints: [0, 2, 3, 1] } });
}

/** Wraps a tensor in Keras layout as a {@link Value}, moving rank-3 tensors to NCHW. */
export function fromKerasLayout(b: GraphBuilder, name: string, shape: number[], base: string): Value {
  if (shape.length !== 3) return { name, shape, layout: 'keras' };
  const nchw = b.op('Transpose', `${base}/to_nchw`, [name], { perm: { ints: [0, 3, 1, 2] } });
  return { name: nchw, shape, layout: 'nchw' };
}

/** An int64 shape constant. */
export function shapeConstant(b: GraphBuilder, base: string, dims: number[]): string {
  return b.constant(base, [dims.length], BigInt64Array.from(dims.map(BigInt)));
}
