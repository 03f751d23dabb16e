/**
 * The fused training kernels of the `webgpu` backend: AdamW over all parameters, the global
 * gradient norm, clipping by it, and the EMA update — each a few dispatches per step in total
 * instead of a dozen tfjs ops per variable (MobileNetV4-conv-small: ~1,700 optimizer dispatches and
 * ~300 norm dispatches per step with tfjs ops; here 1 for AdamW, 2 for the norm, 3 for
 * norm + clipping, 1 for the EMA, for any number of variables up to the binding limits).
 *
 * Each kernel: gathers its tensors into flat group buffers with `copyBufferToBuffer` (the layout
 * is the {@link planFusion} plan, cached per list of sizes with its GPU tables), runs the
 * `fused-programs.ts` programs in place on those buffers through tfjs's own
 * `runWebGPUProgram` (same pipeline cache, same command encoder, so ordering with every other
 * tfjs op is the queue's), and copies the results out into new tensors. Nothing is read back and
 * nothing waits: the per-step constants travel as one small upload per group.
 *
 * tfjs-backend-webgpu is an optional peer, so it is not imported: the backend object a kernel
 * receives is checked against the few members used here ({@link WebGpuBackendInternals}; pinned
 * to tfjs-backend-webgpu 4.22).
 */
import {
  type BackendValues,
  type DataType,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerKernel,
  type TensorInfo,
  unregisterKernel,
  util,
} from '@tensorflow/tfjs-core';
import { installBatchNormTrainingPath } from '../wasm-kernels/batch-norm-train.js';
import { ADAMW_UPDATE, type AdamWUpdateAttrs, SUM_OF_SQUARES } from '../wasm-kernels/optimizer-kernels.js';
import { webGpuBatchNormKernels } from './batch-norm-kernels.js';
import {
  adamwCall,
  emaCall,
  type FusedCall,
  type FusedProgram,
  NORM_SLOTS,
  normCall,
  type ProgramUniform,
  partialSumLayout,
  scaleCall,
  squaresCall,
  TILE_SIZE,
} from './fused-programs.js';
import {
  type FusionGroup,
  type FusionLimits,
  type FusionPlan,
  pieceBoundsTable,
  pieceConstants,
  planFusion,
  planKey,
  tilePieceTable,
} from './fusion-plan.js';
import {
  CLIP_BY_GLOBAL_NORM,
  type ClipByGlobalNormAttrs,
  EMA_UPDATE,
  type EmaUpdateAttrs,
} from './kernel-names.js';

/** Opaque GPU buffer (a `GPUBuffer`). */
type GpuBuffer = object;

/** The members of tfjs-backend-webgpu 4.22's `WebGPUBackend` the fused kernels use. */
export interface WebGpuBackendInternals {
  /** The `GPUDevice`; only its limits are read here. */
  device: { limits: FusionLimits };
  /** Per-tensor data; `resource` is the tensor's `GPUBuffer` once uploaded. */
  tensorMap: { get(dataId: object): { resource?: unknown } | undefined };
  /** The open command encoder (after {@link ensureCommandEncoderReady}). */
  commandEncoder: {
    copyBufferToBuffer(
      src: GpuBuffer,
      srcOffset: number,
      dst: GpuBuffer,
      dstOffset: number,
      size: number,
    ): void;
  } | null;
  /** Tensors the pending command buffer uses: their buffers are released only after submit. */
  commandQueueOwnedIds: WeakSet<object>;
  /** Opens a command encoder if none is open. */
  ensureCommandEncoderReady(): void;
  /** Ends the open compute pass (copies cannot be recorded inside one). */
  endComputePassEncoder(): void;
  /** Gives a tensor a GPU buffer (uploading its CPU values, if any). */
  uploadToGPU(dataId: object): void;
  /** New backend tensor data (no engine bookkeeping). */
  makeTensorInfo(shape: number[], dtype: DataType, values?: BackendValues): TensorInfo;
  /** Records one program; writes into `output` when given. */
  runWebGPUProgram(
    program: FusedProgram,
    inputs: TensorInfo[],
    outputDtype: DataType,
    uniforms?: ProgramUniform[],
    output?: TensorInfo,
  ): TensorInfo;
  /** Frees backend tensor data. */
  disposeData(dataId: object, force?: boolean): boolean;
}

/** `backend` as {@link WebGpuBackendInternals}, or an error naming what is missing. */
export function asWebGpuBackend(backend: unknown): WebGpuBackendInternals {
  const b = backend as Partial<Record<keyof WebGpuBackendInternals, unknown>>;
  const methods = [
    'ensureCommandEncoderReady',
    'endComputePassEncoder',
    'uploadToGPU',
    'makeTensorInfo',
    'runWebGPUProgram',
    'disposeData',
  ] as const;
  const missing: string[] = methods.filter((m) => typeof b[m] !== 'function');
  if (b.device == null || b.tensorMap == null || !(b.commandQueueOwnedIds instanceof WeakSet))
    missing.push('device');
  if (missing.length > 0) {
    throw new Error(
      `fused WebGPU kernels: the webgpu backend lacks ${missing.join(', ')} (written for @tensorflow/tfjs-backend-webgpu 4.22)`,
    );
  }
  return backend as WebGpuBackendInternals;
}

/** The GPU buffer of a tensor, uploading it first if it still lives on the CPU. */
function bufferOf(backend: WebGpuBackendInternals, tensor: TensorInfo): GpuBuffer {
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId)?.resource as Record<string, unknown> | undefined;
  if (resource == null || typeof resource.size !== 'number' || 'width' in resource) {
    throw new Error(
      'fused WebGPU kernels: a tensor is not backed by a GPU buffer (textures are not supported)',
    );
  }
  return resource;
}

/** Records `copyBufferToBuffer`s outside any compute pass, keeping the tensors alive until submit (also used by `batch-norm-kernels.ts`). */
export function copier(backend: WebGpuBackendInternals) {
  return (
    src: TensorInfo,
    srcElement: number,
    dst: TensorInfo,
    dstElement: number,
    elements: number,
  ): void => {
    if (elements === 0) return;
    const srcBuffer = bufferOf(backend, src);
    const dstBuffer = bufferOf(backend, dst);
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.commandEncoder!.copyBufferToBuffer(
      srcBuffer,
      4 * srcElement,
      dstBuffer,
      4 * dstElement,
      4 * elements,
    );
    backend.commandQueueOwnedIds.add(src.dataId);
    backend.commandQueueOwnedIds.add(dst.dataId);
  };
}

/** A plan with its static GPU tables (tile → piece, piece bounds), one entry per group. */
interface CachedPlan {
  plan: FusionPlan;
  tables: { tilePiece: TensorInfo; pieceBounds: TensorInfo }[];
}

/** Plans in use per backend; a training run needs three or four (optimizer, norm, EMA). */
const MAX_CACHED_PLANS = 8;
const planCaches = new WeakMap<object, Map<string, CachedPlan>>();

let limitsOverride: FusionLimits | undefined;

/**
 * Plans with smaller limits than the device's (each limit the smaller of the two), or the device's
 * again with `undefined`: lets a test on any adapter exercise split tensors, several groups and
 * 2-D dispatch grids.
 */
export function overrideFusionLimits(limits: FusionLimits | undefined): void {
  limitsOverride = limits;
}

function cachedPlan(backend: WebGpuBackendInternals, sizes: number[], arraysPerBinding: number): CachedPlan {
  const device = backend.device.limits;
  const limits = {
    maxStorageBufferBindingSize: Math.min(
      device.maxStorageBufferBindingSize,
      limitsOverride?.maxStorageBufferBindingSize ?? Number.POSITIVE_INFINITY,
    ),
    maxComputeWorkgroupsPerDimension: Math.min(
      device.maxComputeWorkgroupsPerDimension,
      limitsOverride?.maxComputeWorkgroupsPerDimension ?? Number.POSITIVE_INFINITY,
    ),
  };
  const options = { tileSize: TILE_SIZE, arraysPerBinding, limits };
  const key = planKey(sizes, options);
  let cache = planCaches.get(backend);
  if (cache === undefined) {
    cache = new Map();
    planCaches.set(backend, cache);
  }
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Most recently used last.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const plan = planFusion(sizes, options);
  const entry: CachedPlan = {
    plan,
    tables: plan.groups.map((group) => ({
      tilePiece: backend.makeTensorInfo([Math.max(group.tiles, 1)], 'int32', tilePieceTable(group)),
      pieceBounds: backend.makeTensorInfo(
        [Math.max(2 * group.pieces.length, 2)],
        'int32',
        pieceBoundsTable(group),
      ),
    })),
  };
  cache.set(key, entry);
  if (cache.size > MAX_CACHED_PLANS) {
    const [oldestKey, oldest] = cache.entries().next().value as [string, CachedPlan];
    cache.delete(oldestKey);
    for (const t of oldest.tables) {
      backend.disposeData(t.tilePiece.dataId);
      backend.disposeData(t.pieceBounds.dataId);
    }
  }
  return entry;
}

/** Temporary backend tensors of one kernel call, freed (after submit) at the end. */
class Temporaries {
  private readonly owned: TensorInfo[] = [];
  constructor(private readonly backend: WebGpuBackendInternals) {}

  /** A new float32 (or `dtype`) tensor with a GPU buffer, contents undefined unless `values` given. */
  alloc(shape: number[], dtype: DataType = 'float32', values?: BackendValues): TensorInfo {
    const info = this.backend.makeTensorInfo(shape, dtype, values);
    this.owned.push(info);
    if (util.sizeFromShape(shape) > 0) this.backend.uploadToGPU(info.dataId);
    return info;
  }

  /** Hands `info` to the caller (it becomes a kernel output). */
  keep(info: TensorInfo): TensorInfo {
    const index = this.owned.indexOf(info);
    if (index >= 0) this.owned.splice(index, 1);
    return info;
  }

  disposeAll(): void {
    for (const info of this.owned.splice(0)) this.backend.disposeData(info.dataId);
  }
}

function run(
  backend: WebGpuBackendInternals,
  call: FusedCall,
  inputs: TensorInfo[],
  output?: TensorInfo,
): TensorInfo {
  return backend.runWebGPUProgram(call.program, inputs, 'float32', call.uniforms, output);
}

function inputList(args: Parameters<KernelFunc>[0], name: string): TensorInfo[] {
  const inputs = Object.values(args.inputs as Record<string, TensorInfo>);
  for (const t of inputs) {
    if (t.dtype !== 'float32') throw new Error(`${name} (webgpu): inputs must be float32`);
  }
  return inputs;
}

/**
 * Gathers `tensors` into one flat array per group of `plan`, at element `base` of `flats[g]`
 * (`base(g)` lets one buffer hold several arrays: AdamW's `[w | m | v]`).
 */
function gather(
  copy: ReturnType<typeof copier>,
  plan: FusionPlan,
  tensors: readonly TensorInfo[],
  flats: readonly TensorInfo[],
  base: (group: FusionGroup) => number,
): void {
  plan.groups.forEach((group, g) => {
    for (const piece of group.pieces) {
      copy(tensors[piece.tensor]!, piece.start, flats[g]!, base(group) + piece.offset, piece.length);
    }
  });
}

/** New tensors shaped as `like`, filled from the flat arrays (the inverse of {@link gather}). */
function scatter(
  copy: ReturnType<typeof copier>,
  temps: Temporaries,
  plan: FusionPlan,
  like: readonly TensorInfo[],
  flats: readonly TensorInfo[],
  base: (group: FusionGroup) => number,
): TensorInfo[] {
  const outs = like.map((t) =>
    util.sizeFromShape(t.shape) === 0
      ? temps.keep(temps.alloc(t.shape, 'float32', new Float32Array(0)))
      : temps.keep(temps.alloc(t.shape)),
  );
  plan.groups.forEach((group, g) => {
    for (const piece of group.pieces) {
      copy(flats[g]!, base(group) + piece.offset, outs[piece.tensor]!, piece.start, piece.length);
    }
  });
  return outs;
}

/** Element counts of `tensors`. */
function sizesOf(tensors: readonly TensorInfo[]): number[] {
  return tensors.map((t) => util.sizeFromShape(t.shape));
}

/**
 * `Σ g²` of every group's flat gradients into partial sums, then one workgroup adding
 * them: returns the norm program's output (scalar, or `[Σ g², norm, coefficient]` with `maxNorm`).
 */
function globalSquares(
  backend: WebGpuBackendInternals,
  temps: Temporaries,
  cached: CachedPlan,
  flats: readonly TensorInfo[],
  maxNorm?: number,
): TensorInfo {
  const { plan } = cached;
  const partials = temps.alloc([Math.max(partialSumLayout(plan).total, 1)]);
  plan.groups.forEach((_, g) => {
    const { tilePiece, pieceBounds } = cached.tables[g]!;
    run(backend, squaresCall(plan, g), [flats[g]!, tilePiece, pieceBounds], partials);
  });
  const call = normCall(plan, maxNorm);
  return run(backend, call, [partials]);
}

const sumOfSquares: KernelFunc = (args) => {
  const backend = asWebGpuBackend(args.backend);
  const grads = inputList(args, SUM_OF_SQUARES);
  const temps = new Temporaries(backend);
  try {
    const cached = cachedPlan(backend, sizesOf(grads), 1);
    const flats = cached.plan.groups.map((group) => temps.alloc([group.length]));
    gather(copier(backend), cached.plan, grads, flats, () => 0);
    if (cached.plan.totalTiles === 0) return temps.keep(temps.alloc([], 'float32', Float32Array.of(0)));
    return globalSquares(backend, temps, cached, flats);
  } finally {
    temps.disposeAll();
  }
};

const clipByGlobalNorm: KernelFunc = (args) => {
  const backend = asWebGpuBackend(args.backend);
  const grads = inputList(args, CLIP_BY_GLOBAL_NORM);
  const { maxNorm } = args.attrs as unknown as ClipByGlobalNormAttrs;
  if (!(maxNorm > 0)) throw new Error(`${CLIP_BY_GLOBAL_NORM}: maxNorm must be > 0, got ${maxNorm}`);
  const temps = new Temporaries(backend);
  try {
    const copy = copier(backend);
    const cached = cachedPlan(backend, sizesOf(grads), 1);
    const { plan } = cached;
    const flats = plan.groups.map((group) => temps.alloc([group.length]));
    gather(copy, plan, grads, flats, () => 0);
    if (plan.totalTiles === 0) {
      const zero = temps.keep(temps.alloc([], 'float32', Float32Array.of(0)));
      return [zero, ...grads.map((g) => temps.keep(temps.alloc(g.shape, 'float32', new Float32Array(0))))];
    }
    const norm = temps.keep(temps.alloc([]));
    const info = globalSquares(backend, temps, cached, flats, maxNorm);
    try {
      plan.groups.forEach((group, g) => {
        run(backend, scaleCall(group), [info], flats[g]!);
      });
      copy(info, NORM_SLOTS.norm, norm, 0, 1);
      return [norm, ...scatter(copy, temps, plan, grads, flats, () => 0)];
    } finally {
      backend.disposeData(info.dataId);
    }
  } finally {
    temps.disposeAll();
  }
};

const adamwUpdate: KernelFunc = (args) => {
  const backend = asWebGpuBackend(args.backend);
  const inputs = inputList(args, ADAMW_UPDATE);
  const a = args.attrs as unknown as AdamWUpdateAttrs;
  const count = inputs.length / 4;
  if (!Number.isInteger(count) || count === 0 || a.decay.length !== count) {
    throw new Error(`${ADAMW_UPDATE}: needs (w, g, m, v) per parameter and per-parameter constants`);
  }
  const pick = (k: number) => Array.from({ length: count }, (_, p) => inputs[4 * p + k]!);
  const [weights, grads, firstMoments, secondMoments] = [pick(0), pick(1), pick(2), pick(3)];
  const sizes = sizesOf(weights);
  for (const list of [grads, firstMoments, secondMoments]) {
    list.forEach((t, p) => {
      if (util.sizeFromShape(t.shape) !== sizes[p])
        throw new Error(`${ADAMW_UPDATE} (webgpu): w, g, m, v must be the same size`);
    });
  }
  const temps = new Temporaries(backend);
  try {
    const copy = copier(backend);
    const cached = cachedPlan(backend, sizes, 3);
    const { plan } = cached;
    const states = plan.groups.map((group) => temps.alloc([3 * group.length]));
    const flatGrads = plan.groups.map((group) => temps.alloc([group.length]));
    gather(copy, plan, weights, states, () => 0);
    gather(copy, plan, firstMoments, states, (group) => group.length);
    gather(copy, plan, secondMoments, states, (group) => 2 * group.length);
    gather(copy, plan, grads, flatGrads, () => 0);
    plan.groups.forEach((group, g) => {
      const constants = temps.alloc(
        [Math.max(4 * group.pieces.length, 4)],
        'float32',
        pieceConstants(group, [a.decay, a.biasCorrection2Sqrt, a.stepSize]),
      );
      const { tilePiece, pieceBounds } = cached.tables[g]!;
      run(
        backend,
        adamwCall(group, a.beta1, a.beta2, a.eps),
        [flatGrads[g]!, tilePiece, pieceBounds, constants],
        states[g],
      );
    });
    const newWeights = scatter(copy, temps, plan, weights, states, () => 0);
    const newM = scatter(copy, temps, plan, firstMoments, states, (group) => group.length);
    const newV = scatter(copy, temps, plan, secondMoments, states, (group) => 2 * group.length);
    return newWeights.flatMap((w, p) => [w, newM[p]!, newV[p]!]);
  } finally {
    temps.disposeAll();
  }
};

const emaUpdate: KernelFunc = (args) => {
  const backend = asWebGpuBackend(args.backend);
  const inputs = inputList(args, EMA_UPDATE);
  const { decay } = args.attrs as unknown as EmaUpdateAttrs;
  const count = inputs.length / 2;
  if (!Number.isInteger(count) || count === 0)
    throw new Error(`${EMA_UPDATE}: needs (shadows…, weights…) pairs`);
  const shadows = inputs.slice(0, count);
  const weights = inputs.slice(count);
  const sizes = sizesOf(shadows);
  weights.forEach((w, i) => {
    if (util.sizeFromShape(w.shape) !== sizes[i])
      throw new Error(`${EMA_UPDATE} (webgpu): shadow and weight sizes differ`);
  });
  const temps = new Temporaries(backend);
  try {
    const copy = copier(backend);
    const { plan } = cachedPlan(backend, sizes, 1);
    const flatShadows = plan.groups.map((group) => temps.alloc([group.length]));
    const flatWeights = plan.groups.map((group) => temps.alloc([group.length]));
    gather(copy, plan, shadows, flatShadows, () => 0);
    gather(copy, plan, weights, flatWeights, () => 0);
    plan.groups.forEach((group, g) => {
      run(backend, emaCall(group, decay), [flatWeights[g]!], flatShadows[g]);
    });
    return scatter(copy, temps, plan, shadows, flatShadows, () => 0);
  } finally {
    temps.disposeAll();
  }
};

/** The fused training kernels for the `webgpu` backend. */
export const webGpuTrainingKernels: readonly KernelConfig[] = [
  { kernelName: ADAMW_UPDATE, backendName: 'webgpu', kernelFunc: adamwUpdate },
  { kernelName: SUM_OF_SQUARES, backendName: 'webgpu', kernelFunc: sumOfSquares },
  { kernelName: CLIP_BY_GLOBAL_NORM, backendName: 'webgpu', kernelFunc: clipByGlobalNorm },
  { kernelName: EMA_UPDATE, backendName: 'webgpu', kernelFunc: emaUpdate },
];

/**
 * Registers the fused kernels for `webgpu` (idempotent), with the training BatchNorm kernels
 * (`batch-norm-kernels.ts`) and their layer hook. The trainer picks them up by kernel name, so
 * nothing else changes: `train/adamw.ts`, `train/grad-clip.ts`, `train/ema.ts` and tfjs-layers'
 * `BatchNormalization` use a fused kernel wherever the active backend has one.
 */
export function registerWebGpuTrainingKernels(): void {
  for (const config of [...webGpuTrainingKernels, ...webGpuBatchNormKernels]) {
    if (getKernel(config.kernelName, 'webgpu') == null) registerKernel(config);
  }
  installBatchNormTrainingPath();
}

/** Removes them again, the BatchNorm kernels included (for before/after measurements and tests). */
export function unregisterWebGpuTrainingKernels(): void {
  for (const config of [...webGpuTrainingKernels, ...webGpuBatchNormKernels]) {
    if (getKernel(config.kernelName, 'webgpu') != null) unregisterKernel(config.kernelName, 'webgpu');
  }
}
