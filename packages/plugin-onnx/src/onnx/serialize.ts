import onnxProto from 'onnx-proto';
import { type AttributeValue, elemTypeOf, type Initializer, type OnnxModel, type ValueInfo } from './ir.js';

const { onnx } = onnxProto;

/** IR version written: 8 (ONNX 1.10), the newest the `onnx-proto` schema knows; ORT reads it. */
export const IR_VERSION = 8;

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in value) return { name, type: T.INT, i: value.i };
  if ('f' in value) return { name, type: T.FLOAT, f: value.f };
  if ('ints' in value) return { name, type: T.INTS, ints: value.ints };
  if ('floats' in value) return { name, type: T.FLOATS, floats: value.floats };
  return { name, type: T.STRING, s: new TextEncoder().encode(value.s) };
}

function tensor(init: Initializer): onnxProto.onnx.ITensorProto {
  const { data } = init;
  // raw_data is little-endian, which is what typed arrays hold on every platform Node runs on.
  const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { name: init.name, dims: init.dims, dataType: elemTypeOf(data), rawData };
}

function valueInfo(info: ValueInfo): onnxProto.onnx.IValueInfoProto {
  const shape = info.shape
    ? { dim: info.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }
    : undefined;
  return { name: info.name, type: { tensorType: { elemType: info.elemType, ...(shape ? { shape } : {}) } } };
}

/** Encodes a model as ONNX protobuf bytes. */
export function serializeModel(model: OnnxModel, producerVersion: string): Uint8Array {
  const proto: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'mlops',
    producerVersion,
    opsetImport: [{ domain: '', version: model.opset }],
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: model.name,
      node: model.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: [...model.initializers.values()].map(tensor),
      input: model.inputs.map(valueInfo),
      output: model.outputs.map(valueInfo),
    },
  };
  return onnx.ModelProto.encode(proto).finish();
}

/** Reads the metadata props of ONNX bytes without loading the graph into a runtime. */
export function readMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  return Object.fromEntries(model.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
}
