import { materialize, onnxAxis, type Value } from '../value.js';
import { type ConvertContext, type LayerConverter, numberOption } from './context.js';

/** Inputs of a merge layer in one common layout (Flatten orders must agree, pads applied). */
function alignedInputs(ctx: ConvertContext): Value[] {
  const { b, layer } = ctx;
  const first = ctx.inputs[0];
  const sameOrder = ctx.inputs.every(
    (v) => JSON.stringify(v.flattenedFrom) === JSON.stringify(first?.flattenedFrom),
  );
  return ctx.inputs.map((v, i) =>
    sameOrder && !v.pendingPads ? v : materialize(b, v, `${layer.name}/in${i}`),
  );
}

function variadic(opType: 'Sum' | 'Mul' | 'Max' | 'Min' | 'Mean'): LayerConverter {
  return (ctx) => {
    const inputs = alignedInputs(ctx);
    const [first] = inputs;
    if (!first) throw new Error(`layer ${ctx.layer.name} has no inputs`);
    const names = inputs.map((v) => v.name);
    // Binary Add/Mul are what every ONNX tool (and the quantizer) knows best.
    const op = opType === 'Sum' && names.length === 2 ? 'Add' : opType;
    // Mul is binary in ONNX: chain it.
    if (op === 'Mul' && names.length > 2) {
      let acc = names[0] as string;
      for (const [i, name] of names.slice(1).entries())
        acc = ctx.b.op(op, `${ctx.layer.name}/${op.toLowerCase()}${i}`, [acc, name]);
      return { ...first, name: acc };
    }
    return { ...first, name: ctx.b.op(op, `${ctx.layer.name}/${op.toLowerCase()}`, names) };
  };
}

/** `Add`. */
export const convertAdd: LayerConverter = variadic('Sum');
/** `Multiply`. */
export const convertMultiply: LayerConverter = variadic('Mul');
/** `Maximum`. */
export const convertMaximum: LayerConverter = variadic('Max');
/** `Minimum`. */
export const convertMinimum: LayerConverter = variadic('Min');
/** `Average`. */
export const convertAverage: LayerConverter = variadic('Mean');

/** `Concatenate` along its axis, mapped to the ONNX layout. */
export const convertConcatenate: LayerConverter = (ctx) => {
  const inputs = ctx.inputs.map((v, i) => materialize(ctx.b, v, `${ctx.layer.name}/in${i}`));
  const [first] = inputs;
  if (!first) throw new Error(`layer ${ctx.layer.name} has no inputs`);
  const axis = onnxAxis(first, numberOption(ctx.layer, 'axis', -1));
  const name = ctx.b.op(
    'Concat',
    `${ctx.layer.name}/concat`,
    inputs.map((v) => v.name),
    { axis: { i: axis } },
  );
  return { name, shape: ctx.layer.shape, layout: first.layout };
};
