/**
 * `FusedConv2D` for the wasm backend: pointwise (1x1, stride 1, unpadded) convolutions whose
 * weights are larger than their input run as a transposed XNNPACK product.
 *
 * XNNPACK packs a convolution's weights into its own layout whenever the operator is created, and
 * tfjs-wasm creates it anew whenever the filter tensor changes — every training step. For the wide
 * 1x1 layers late in a MobileNet (e.g. the 960→1280 head conv on 64 pooled pixels, 13 ms of a
 * 64 px step) packing the weights costs more than the product. As yᵀ = Wᵀ · xᵀ the packed operand
 * is the activation instead (`transposed-mat-mul.ts` picks the orientation by estimated cost); the
 * bias and a ReLU are then applied per channel as wasm SIMD passes. Everything else — and these
 * layers when the direct orientation is cheaper — goes to the stock kernel.
 */
import {
  backend_util,
  FusedConv2D,
  type FusedConv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { reluQuads } from './relu.js';
import { heapAddress, MIN_PARALLEL_FLOATS, runSimdTasks, simdKernels, splitRange } from './simd-kernels.js';
import { orientationCosts, planMatMul, runMatMul } from './transposed-mat-mul.js';
import { asWasmBackend, heapF32, runWasmKernel, type WasmBackend } from './wasm-backend.js';

/** The convolution as a product [rows, ci] · [ci, co], if it is an unpadded 1x1 stride-1 conv. */
function pointwiseShape(
  x: TensorInfo,
  filter: TensorInfo,
  attrs: FusedConv2DAttrs,
): [number, number, number] | null {
  if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  if (x.shape.length !== 4 || filter.shape.length !== 4 || filter.shape[0] !== 1 || filter.shape[1] !== 1)
    return null;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const p = info.padInfo;
  if (
    info.strideHeight !== 1 ||
    info.strideWidth !== 1 ||
    info.dilationHeight !== 1 ||
    info.dilationWidth !== 1
  ) {
    return null;
  }
  if (p.top !== 0 || p.bottom !== 0 || p.left !== 0 || p.right !== 0) return null;
  if (info.outHeight !== info.inHeight || info.outWidth !== info.inWidth) return null;
  return [info.batchSize * info.inHeight * info.inWidth, info.inChannels, info.outChannels];
}

/** Adds a per-channel bias and/or applies ReLU to `out` ([rows, co]) in place. */
function biasAndRelu(
  backend: WasmBackend,
  out: TensorInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
): void {
  const co = out.shape[out.shape.length - 1]!;
  const rows = util.sizeFromShape(out.shape) / co;
  const simd = simdKernels(backend);
  if (bias != null) {
    if (simd != null && co % 4 === 0) {
      // affineChannels computes (x − 0)·1 + b = x + b exactly.
      const params = backend.makeOutput([3 * co], 'float32');
      try {
        const p = heapF32(backend, params);
        const b = heapF32(backend, bias);
        for (let c = 0; c < co; c++) {
          const base = (c >> 2) * 12 + (c & 3);
          p[base] = 0;
          p[base + 4] = 1;
          p[base + 8] = b[c]!;
        }
        const addr = heapAddress(backend, out.dataId);
        const pAddr = heapAddress(backend, params.dataId);
        const tasks = splitRange(rows, 32, 64).map(([r, n]) => [
          addr + 4 * r * co,
          addr + 4 * r * co,
          n,
          co / 4,
          pAddr,
        ]);
        runSimdTasks(backend, simd, 'affineChannels', tasks, rows * co < MIN_PARALLEL_FLOATS);
      } finally {
        backend.disposeData(params.dataId);
      }
    } else {
      const o = heapF32(backend, out);
      const b = heapF32(backend, bias);
      for (let i = 0; i < o.length; i++) o[i]! += b[i % co]!;
    }
  }
  if (relu) {
    const n = util.sizeFromShape(out.shape);
    const addr = simd != null ? heapAddress(backend, out.dataId) : 0;
    const done = simd != null ? reluQuads(backend, simd, addr, addr, n) : 0;
    const o = heapF32(backend, out);
    for (let i = done; i < n; i++) if (o[i]! < 0) o[i] = 0;
  }
}

/**
 * Builds the kernel config of `FusedConv2D` (or, with `kernelName`, of the plain `Conv2D`, whose
 * inputs and attributes are a subset); `stock` (tfjs-wasm's XNNPACK convolution) handles every
 * other case.
 */
export function makeFusedConv2DConfig(
  stock: KernelConfig | undefined,
  kernelName: string = FusedConv2D,
): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    if (stock == null) throw new Error(`${kernelName} (wasm): the stock kernel is missing`);
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as unknown as FusedConv2DAttrs;
    const activation = attrs.activation ?? 'linear';
    const shape =
      x != null &&
      filter != null &&
      preluActivationWeights == null &&
      (activation === 'linear' || activation === 'relu')
        ? pointwiseShape(x, filter, attrs)
        : null;
    const [rows, ci, co] = shape ?? [0, 0, 0];
    const perChannel = bias == null || (bias.dtype === 'float32' && util.sizeFromShape(bias.shape) === co);
    if (shape == null || !perChannel) return stock.kernelFunc(args);
    const a: TensorInfo = { dataId: x!.dataId, shape: [1, rows, ci], dtype: 'float32' };
    const b: TensorInfo = { dataId: filter!.dataId, shape: [1, ci, co], dtype: 'float32' };
    const plan = planMatMul(a, b, false, false);
    if (plan == null) return stock.kernelFunc(args);
    const costs = orientationCosts(plan);
    if (!(costs.swapped < costs.direct)) return stock.kernelFunc(args);
    const backend = asWasmBackend(args.backend);
    const gemm = (left: TensorInfo, right: TensorInfo): TensorInfo =>
      runWasmKernel('BatchMatMul', { a: left, b: right }, { transposeA: false, transposeB: false }, backend);
    const product = runMatMul(backend, gemm, a, b, plan, 'swapped');
    const out: TensorInfo = {
      dataId: product.dataId,
      shape: [...x!.shape.slice(0, 3), co],
      dtype: 'float32',
    };
    biasAndRelu(backend, out, bias ?? undefined, activation === 'relu');
    return out;
  };
  return {
    kernelName,
    backendName: 'wasm',
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc,
  };
}
