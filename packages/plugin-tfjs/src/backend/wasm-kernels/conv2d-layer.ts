/**
 * A tfjs-layers `Conv2D` hook for the wasm backend: a convolution without bias and with a linear
 * activation (every conv followed by BatchNorm) runs as the plain `conv2d` op instead of
 * `fused.conv2d`.
 *
 * tfjs-layers always calls `fused.conv2d`, whose gradient (a `customGrad`) computes the input
 * gradient and the filter gradient together, even when only the filter's is wanted — for the
 * network's first layer the input is the image, and its gradient (a full transposed convolution,
 * 8 ms of a 64 px MobileNetV4 step) is thrown away. `conv2d`'s registered gradient computes each
 * only when asked for. The forward kernel and the gradient kernels are the same, so the values
 * are too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { serialization, type Tensor } from '@tensorflow/tfjs-core';
// The hook patches the layer class tfjs-layers registers for deserialization: load it first.
import '@tensorflow/tfjs-layers';

/** The parts of tfjs-layers' `Conv2D` the hook reads. */
interface Conv2DLayer {
  rank: number;
  bias?: unknown;
  dataFormat: string;
  padding: string;
  strides: number[];
  dilationRate: number | number[];
  activation?: { getClassName(): string } | null;
  kernel: { read(): Tensor };
}

type LayerCall = (this: Conv2DLayer, inputs: Tensor | Tensor[], kwargs: Record<string, unknown>) => Tensor;

let installed = false;
let enabled = true;

/** Turns the hook on or off (on by default once installed); returns the previous setting. */
export function setConv2DLayerHookEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** The input when `layer` can take the plain op: wasm active, NHWC, rank 4, no bias, linear. */
function plainInput(layer: Conv2DLayer, inputs: Tensor | Tensor[]): Tensor | null {
  if (!enabled || tf.getBackend() !== 'wasm') return null;
  const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
  if (x == null || x.rank !== 4 || x.dtype !== 'float32') return null;
  if (layer.rank !== 2 || layer.bias != null || layer.dataFormat === 'channelsFirst') return null;
  if (layer.padding !== 'same' && layer.padding !== 'valid') return null;
  const activation = layer.activation?.getClassName() ?? 'linear';
  return activation === 'linear' || activation === 'Linear' ? x : null;
}

/** Installs the hook on tfjs-layers' `Conv2D` once per process. */
export function installConv2DLayerHook(): void {
  if (installed) return;
  const entry = serialization.SerializationMap.getMap().classNameMap.Conv2D as
    | [{ prototype: { call: LayerCall } }, unknown]
    | undefined;
  if (entry == null) return;
  const proto = entry[0].prototype;
  const stock = proto.call;
  Object.defineProperty(proto, 'call', {
    configurable: true,
    writable: true,
    value: function conv2dCall(
      this: Conv2DLayer,
      inputs: Tensor | Tensor[],
      kwargs: Record<string, unknown>,
    ) {
      const x = plainInput(this, inputs);
      if (x == null) return stock.call(this, inputs, kwargs);
      const dilations = (
        Array.isArray(this.dilationRate) ? this.dilationRate : [this.dilationRate, this.dilationRate]
      ) as [number, number];
      return tf.tidy(() =>
        tf.conv2d(
          x as tf.Tensor4D,
          this.kernel.read() as tf.Tensor4D,
          this.strides as [number, number],
          this.padding as 'same' | 'valid',
          'NHWC',
          dilations,
        ),
      );
    },
  });
  installed = true;
}
