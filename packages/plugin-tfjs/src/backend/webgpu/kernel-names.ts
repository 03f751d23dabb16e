/**
 * Names of the fused training kernels that exist only as custom kernels (no tfjs op): a backend
 * that registers one gets it used by the trainer (`train/grad-clip.ts`, `train/ema.ts`); on any
 * other backend the trainer falls back to tfjs ops. `MlopsAdamWUpdate` and `MlopsSumOfSquares` are
 * defined with the wasm kernels (`../wasm-kernels/optimizer-kernels.ts`) and share their contract.
 */

/**
 * Clip by global norm: inputs any number of float32 gradients (an array, as `AddN`); attribute
 * `{ maxNorm }` (> 0); outputs `[norm, clipped_0, clipped_1, …]` — the global L2 norm before
 * clipping (a scalar) and each gradient times `min(1, maxNorm / (norm + 1e-6))`.
 */
export const CLIP_BY_GLOBAL_NORM = 'MlopsClipByGlobalNorm';

/** Attributes of {@link CLIP_BY_GLOBAL_NORM}. */
export interface ClipByGlobalNormAttrs {
  /** Largest global norm kept; must be > 0. */
  maxNorm: number;
}

/**
 * EMA update: inputs `[shadow_0 … shadow_{n−1}, weight_0 … weight_{n−1}]` (float32, pairwise the
 * same shape); attribute `{ decay }`; outputs the new shadows `d·shadow + (1 − d)·weight`.
 */
export const EMA_UPDATE = 'MlopsEmaUpdate';

/** Attributes of {@link EMA_UPDATE}. */
export interface EmaUpdateAttrs {
  /** The decay `d` of this update. */
  decay: number;
}
