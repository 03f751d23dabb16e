/**
 * WebGPU training kernels: fused AdamW, global gradient norm, clipping and EMA over all
 * parameters in a few dispatches (see `fused-kernels.ts`), with their pure layout logic
 * (`fusion-plan.ts`) and WGSL programs (`fused-programs.ts`).
 */

export {
  overrideFusionLimits,
  registerWebGpuTrainingKernels,
  unregisterWebGpuTrainingKernels,
  webGpuTrainingKernels,
} from './fused-kernels.js';
export {
  CLIP_BY_GLOBAL_NORM,
  type ClipByGlobalNormAttrs,
  EMA_UPDATE,
  type EmaUpdateAttrs,
} from './kernel-names.js';
