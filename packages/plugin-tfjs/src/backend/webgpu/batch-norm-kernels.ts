/**
 * `MlopsBatchNormTrain` and `MlopsBatchNormTrainGrad` for the `webgpu` backend: the programs of
 * `batch-norm-programs.ts`, two dispatches per kernel (three when the rows are split into blocks), recorded through tfjs's own
 * `runWebGPUProgram`; the per-channel outputs are `copyBufferToBuffer`s out of one small buffer.
 * Registered under the wasm kernels' names, so tfjs-layers' `BatchNormalization` takes them through
 * the same hook and tape gradient (`../wasm-kernels/batch-norm-train.ts`) and the models do not
 * change; on any backend without them the stock layer runs.
 */
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  type BatchNormTrainAttrs,
} from '../wasm-kernels/batch-norm-train.js';
import {
  applyCall,
  type BatchNormCall,
  GRAD_SLOTS,
  gradDxCall,
  gradSumsCalls,
  STATS_SLOTS,
  statsCalls,
} from './batch-norm-programs.js';
import { asWebGpuBackend, copier, type WebGpuBackendInternals } from './fused-kernels.js';

/** Channels (last dim) and rows (everything else) of `x`, after checking what the kernels need. */
function layout(
  kernel: string,
  x: TensorInfo,
  ...perChannel: TensorInfo[]
): { channels: number; rows: number } {
  const channels = x.shape[x.shape.length - 1] ?? 0;
  const rows = channels === 0 ? 0 : util.sizeFromShape(x.shape) / channels;
  if (x.dtype !== 'float32' || x.shape.length < 2 || channels === 0 || rows === 0) {
    throw new Error(`${kernel} (webgpu): needs a non-empty float32 input of rank >= 2`);
  }
  for (const t of perChannel) {
    if (t.dtype !== 'float32' || util.sizeFromShape(t.shape) !== channels) {
      throw new Error(`${kernel} (webgpu): per-channel parameters must be float32 [${channels}]`);
    }
  }
  return { channels, rows };
}

function run(backend: WebGpuBackendInternals, call: BatchNormCall, inputs: TensorInfo[]): TensorInfo {
  return backend.runWebGPUProgram(call.program, inputs, 'float32', call.uniforms);
}

/** New `[channels]` tensors copied from slots of a per-channel buffer (encoder copies, no dispatch). */
function slices(
  backend: WebGpuBackendInternals,
  from: TensorInfo,
  channels: number,
  slots: readonly number[],
): TensorInfo[] {
  const copy = copier(backend);
  return slots.map((slot) => {
    const out = backend.makeTensorInfo([channels], 'float32');
    copy(from, slot * channels, out, 0, channels);
    return out;
  });
}

function maxPerDimension(backend: WebGpuBackendInternals): number {
  return backend.device.limits.maxComputeWorkgroupsPerDimension;
}

const forward: KernelFunc = (args) => {
  const backend = asWebGpuBackend(args.backend);
  const { x, gamma, beta, movingMean, movingVariance } = args.inputs as Record<
    string,
    TensorInfo | undefined
  >;
  const { epsilon, momentum } = args.attrs as unknown as BatchNormTrainAttrs;
  if (x == null || gamma == null || beta == null)
    throw new Error(`${BATCH_NORM_TRAIN}: needs x, gamma, beta`);
  const moving = movingMean != null && movingVariance != null;
  const { channels, rows } = layout(
    BATCH_NORM_TRAIN,
    x,
    gamma,
    beta,
    ...(moving ? [movingMean, movingVariance] : []),
  );
  const calls = statsCalls(rows, channels, moving, momentum ?? 0.99);
  const movingInputs = moving ? [movingMean, movingVariance] : [];
  let stats: TensorInfo;
  if (calls.length === 1) {
    stats = run(backend, calls[0]!, [x, ...movingInputs]);
  } else {
    // Row blocks: partials per block, then their merge.
    const partials = run(backend, calls[0]!, [x]);
    try {
      stats = run(backend, calls[1]!, [partials, ...movingInputs]);
    } finally {
      backend.disposeData(partials.dataId);
    }
  }
  try {
    const y = run(backend, applyCall([...x.shape], channels, epsilon, maxPerDimension(backend)), [
      x,
      stats,
      gamma,
      beta,
    ]);
    const slots = moving
      ? [STATS_SLOTS.mean, STATS_SLOTS.variance, STATS_SLOTS.movingMean, STATS_SLOTS.movingVariance]
      : [STATS_SLOTS.mean, STATS_SLOTS.variance];
    return [y, ...slices(backend, stats, channels, slots)];
  } finally {
    backend.disposeData(stats.dataId);
  }
};

const gradient: KernelFunc = (args) => {
  const backend = asWebGpuBackend(args.backend);
  const { dy, x, mean, variance, gamma } = args.inputs as Record<string, TensorInfo | undefined>;
  const { epsilon } = args.attrs as unknown as BatchNormTrainAttrs;
  if (dy == null || x == null || mean == null || variance == null || gamma == null) {
    throw new Error(`${BATCH_NORM_TRAIN_GRAD}: needs dy, x, mean, variance, gamma`);
  }
  const { channels, rows } = layout(BATCH_NORM_TRAIN_GRAD, x, mean, variance, gamma);
  if (dy.dtype !== 'float32' || !util.arraysEqual(dy.shape, x.shape))
    throw new Error(`${BATCH_NORM_TRAIN_GRAD} (webgpu): dy must be float32 shaped as x`);
  const calls = gradSumsCalls(rows, channels, epsilon);
  let sums: TensorInfo;
  if (calls.length === 1) {
    sums = run(backend, calls[0]!, [dy, x, mean, variance]);
  } else {
    const partials = run(backend, calls[0]!, [dy, x, mean]);
    try {
      sums = run(backend, calls[1]!, [partials, variance]);
    } finally {
      backend.disposeData(partials.dataId);
    }
  }
  try {
    const dx = run(backend, gradDxCall([...x.shape], channels, epsilon, maxPerDimension(backend)), [
      dy,
      x,
      mean,
      variance,
      gamma,
      sums,
    ]);
    return [dx, ...slices(backend, sums, channels, [GRAD_SLOTS.dGamma, GRAD_SLOTS.dBeta])];
  } finally {
    backend.disposeData(sums.dataId);
  }
};

/** The training BatchNorm kernels for the `webgpu` backend. */
export const webGpuBatchNormKernels: readonly KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAIN, backendName: 'webgpu', kernelFunc: forward },
  { kernelName: BATCH_NORM_TRAIN_GRAD, backendName: 'webgpu', kernelFunc: gradient },
];
