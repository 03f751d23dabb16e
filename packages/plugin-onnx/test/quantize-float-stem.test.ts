import { describe, expect, it } from 'vitest';
import { ElemType, type GraphNode, type OnnxModel } from '../src/onnx/ir.js';
import { floatNodes, isShallowConv, poolBeforeStemActivation } from '../src/quantize/float-region.js';

/** input → Conv(weight [8, cin, 3, 3]) → Relu → MaxPool → Conv(weight [4, 8, 3, 3]) → output. */
function twoConvs(stemChannels: number): OnnxModel {
  const w = (name: string, dims: number[]) => ({
    name,
    dims,
    data: new Float32Array(dims.reduce((a, b) => a * b, 1)),
  });
  const nodes: GraphNode[] = [
    { name: 'c0', opType: 'Conv', inputs: ['x', 'w0'], outputs: ['c0'] },
    { name: 'r0', opType: 'Relu', inputs: ['c0'], outputs: ['r0'] },
    { name: 'p0', opType: 'MaxPool', inputs: ['r0'], outputs: ['p0'] },
    { name: 'c1', opType: 'Conv', inputs: ['p0', 'w1'], outputs: ['y'] },
  ];
  return {
    name: 'two-convs',
    opset: 13,
    metadata: {},
    nodes,
    initializers: new Map([
      ['w0', w('w0', [8, stemChannels, 3, 3])],
      ['w1', w('w1', [4, 8, 3, 3])],
    ]),
    inputs: [{ name: 'x', elemType: ElemType.FLOAT, shape: [1, stemChannels, 8, 8] }],
    outputs: [{ name: 'y', elemType: ElemType.FLOAT, shape: [1, 4, 2, 2] }],
  };
}

describe('float stem region', () => {
  it('keeps a 1-channel stem conv and the ReLU/pool reading it float, not the deep conv', () => {
    const model = twoConvs(1);
    expect(isShallowConv(model, model.nodes[0] as GraphNode)).toBe(true);
    expect(isShallowConv(model, model.nodes[3] as GraphNode)).toBe(false);
    expect([...floatNodes(model)].map((n) => n.name)).toEqual(['c0', 'r0', 'p0']);
  });

  it('leaves an RGB 3×3 stem (27-term dot products) to the integer kernels', () => {
    const model = twoConvs(3);
    expect(floatNodes(model).size).toBe(0);
    expect(poolBeforeStemActivation(model).nodes.map((n) => n.opType)).toEqual([
      'Conv',
      'Relu',
      'MaxPool',
      'Conv',
    ]);
  });

  it('moves the pool before the ReLU after a shallow stem, keeping tensor names wired', () => {
    const rewritten = poolBeforeStemActivation(twoConvs(1));
    expect(rewritten.nodes.map((n) => `${n.opType}(${n.inputs[0]})->${n.outputs[0]}`)).toEqual([
      'Conv(x)->c0',
      'MaxPool(c0)->p0_before_relu',
      'Relu(p0_before_relu)->p0',
      'Conv(p0)->y',
    ]);
  });
});
