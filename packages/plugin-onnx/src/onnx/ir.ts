/**
 * A small in-memory ONNX graph: what the exporter builds and the quantizer rewrites before it is
 * serialized with the ONNX protobuf schema. Only the parts of ONNX these tools need.
 */

/** Element types this package writes (values of `onnx.TensorProto.DataType`). */
export const ElemType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

/** One of {@link ElemType}'s values. */
export type ElemTypeCode = (typeof ElemType)[keyof typeof ElemType];

/** Typed data of a constant tensor; the array type fixes the ONNX element type. */
export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

/** A constant tensor (weights, shapes, quantization parameters). */
export interface Initializer {
  /** Unique tensor name. */
  name: string;
  /** Dimensions; `[]` for a scalar. */
  dims: number[];
  /** Values, row-major. */
  data: TensorData;
}

/** An attribute value: an int, a float, ints, floats or a string. */
export type AttributeValue =
  | { i: number }
  | { f: number }
  | { ints: number[] }
  | { floats: number[] }
  | { s: string };

/** One operator application. */
export interface GraphNode {
  /** Unique node name (the Keras layer it came from, with a suffix). */
  name: string;
  /** Operator, e.g. `Conv`. */
  opType: string;
  /** Input tensor names; `''` for an omitted optional input. */
  inputs: string[];
  /** Output tensor names. */
  outputs: string[];
  /** Attributes by name. */
  attributes?: Record<string, AttributeValue>;
}

/** A graph input or output: name, element type and shape (a string is a symbolic dimension). */
export interface ValueInfo {
  /** Tensor name. */
  name: string;
  /** Element type. */
  elemType: ElemTypeCode;
  /** Shape; omitted when unknown. */
  shape?: (number | string)[];
}

/** A whole model: graph, opset and metadata. */
export interface OnnxModel {
  /** Graph name. */
  name: string;
  /** Operators in topological order. */
  nodes: GraphNode[];
  /** Constants by name. */
  initializers: Map<string, Initializer>;
  /** Graph inputs. */
  inputs: ValueInfo[];
  /** Graph outputs. */
  outputs: ValueInfo[];
  /** Default-domain opset version. */
  opset: number;
  /** Key/value metadata (`metadata_props`). */
  metadata: Record<string, string>;
}

/** The element type of a typed array. */
export function elemTypeOf(data: TensorData): ElemTypeCode {
  if (data instanceof Float32Array) return ElemType.FLOAT;
  if (data instanceof Uint8Array) return ElemType.UINT8;
  if (data instanceof Int8Array) return ElemType.INT8;
  if (data instanceof Int32Array) return ElemType.INT32;
  return ElemType.INT64;
}

/** Number of elements of a shape. */
export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
