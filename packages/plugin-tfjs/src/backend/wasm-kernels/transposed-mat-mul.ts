/**
 * Matrix products with transposed operands, for the wasm `BatchMatMul` and `_FusedMatMul` kernels.
 *
 * The stock kernels only reach XNNPACK (~10-15 GMAC/s here) when neither operand is transposed and
 * the batch is 1; anything else runs a blocked scalar (non-SIMD) triple loop: ~1 GMAC/s, and down
 * to 0.34 GMAC/s with A transposed, whose inner loop then steps a whole row of A per multiply-add
 * (a dense layer's weight gradient xᵀ·dy with x = [64, 16384] takes 400 ms instead of 11; a
 * 1024³ product with A transposed, 5 s instead of 75 ms).
 *
 * Here each product is instead laid out for XNNPACK, C = op(A) · op(B) as [m, k] · [k, n]:
 * - direct: op(A) (A itself, or a blocked transpose of it) times op(B) written to a fresh [k, n];
 * - swapped: Cᵀ = op(B)ᵀ · op(A)ᵀ, i.e. [n, k] · [k, m], and the [n, m] result transposed back.
 * XNNPACK re-packs the right operand of every product at several ns per element, which can cost as
 * much as the arithmetic, so the orientation with the cheaper data movement (usually: the narrower
 * right operand) is used. Batched products (rank > 2) run one XNNPACK product per batch entry.
 */
import { broadcast_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { transpose2d } from './transpose2d.js';
import { heapF32, TempTensors, type WasmBackend } from './wasm-backend.js';

/** A product op(A) · op(B) over (broadcast) batch dims, as the kernels receive it. */
export interface MatMulPlan {
  /** Rows of op(A) and of the result. */
  m: number;
  /** Shared dimension. */
  k: number;
  /** Columns of op(B) and of the result. */
  n: number;
  /** A is stored [k, m] (per batch entry). */
  transposeA: boolean;
  /** B is stored [n, k] (per batch entry). */
  transposeB: boolean;
  /** Batch entries of the result. */
  batch: number;
  /** Batch entries of A: `batch`, or 1 when broadcast. */
  batchA: number;
  /** Batch entries of B: `batch`, or 1 when broadcast. */
  batchB: number;
  /** Shape of the result. */
  outShape: number[];
}

/**
 * Products this small (multiply-adds per batch entry) stay on the stock kernel: the fixed cost of
 * an XNNPACK product here (operator creation, packing, temporaries: ~15 µs) exceeds what the scalar
 * loop spends on them (64 products of 16x16x16: 4 µs each on the stock kernel; 8 of 32x32x32:
 * 30 µs each, 17 µs here).
 */
export const MIN_MACS_PER_PRODUCT = 16 * 1024;

/**
 * Estimated ns per element: transposed (4x4 SIMD, tiled: 0.2-0.35 measured, more once out of
 * cache), copied, and packed by XNNPACK as a right operand (~3.5 measured). Only the ratios matter.
 */
const COST_TRANSPOSE = 0.5;
const COST_COPY = 0.2;
const COST_PACK = 4;

/** Which layout a product runs in; `auto` picks by estimated cost (tests force each one). */
export type MatMulOrientation = 'auto' | 'direct' | 'swapped';

/**
 * Plans `a · b` with the given transposes, or returns null for what this module does not handle
 * (non-float32, mismatched shapes — the stock kernel reports those —, broadcasts other than of a
 * whole operand, and products too small to gain).
 */
export function planMatMul(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return null;
  let outer: number[];
  try {
    outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return null;
  }
  const batch = util.sizeFromShape(outer);
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  if (m * n * k < MIN_MACS_PER_PRODUCT || batch === 0) return null;
  return { m, k, n, transposeA, transposeB, batch, batchA, batchB, outShape: [...outer, m, n] };
}

/**
 * Folds the batch into the rows of A when B is shared and A is not transposed: [batch, m, k] is
 * then one [batch*m, k] matrix and the result one [batch*m, n] — a single product.
 */
function foldBatch(p: MatMulPlan): MatMulPlan {
  if (p.batch > 1 && p.batchB === 1 && !p.transposeA) {
    return { ...p, m: p.batch * p.m, batch: 1, batchA: 1 };
  }
  return p;
}

/** Estimated data-movement cost (ns) of one product in each orientation. */
export function orientationCosts(p: MatMulPlan): { direct: number; swapped: number } {
  const { m, k, n } = p;
  const wholeA = p.batchA === 1 && p.batch === 1;
  const wholeB = p.batchB === 1 && p.batch === 1;
  const direct =
    (p.transposeA ? COST_TRANSPOSE : wholeA ? 0 : COST_COPY) * m * k +
    (p.transposeB ? COST_TRANSPOSE : COST_COPY) * k * n +
    COST_PACK * k * n;
  const swapped =
    (p.transposeB ? (wholeB ? 0 : COST_COPY) : COST_TRANSPOSE) * n * k +
    (p.transposeA ? COST_COPY : COST_TRANSPOSE) * k * m +
    COST_PACK * k * m +
    COST_TRANSPOSE * m * n;
  return { direct, swapped };
}

/**
 * A product of a `[1, rows, inner]` left and a `[1, inner, cols]` right operand (neither
 * transposed) on XNNPACK, returning a new `[.., rows, cols]` tensor. The right operand is always a
 * fresh temporary: XNNPACK caches its packed copy under the tensor id until it is disposed.
 */
export type Gemm = (left: TensorInfo, right: TensorInfo) => TensorInfo;

/** Copies `size` floats from `src` at `srcOffset` into `dst` at `dstOffset`. */
function copy(
  backend: WasmBackend,
  src: TensorInfo,
  srcOffset: number,
  size: number,
  dst: TensorInfo,
  dstOffset = 0,
): void {
  heapF32(backend, dst).set(heapF32(backend, src).subarray(srcOffset, srcOffset + size), dstOffset);
}

/** `info`'s data viewed with another shape (same element count), without a copy. */
const view = (info: TensorInfo, shape: number[]): TensorInfo => ({
  dataId: info.dataId,
  shape,
  dtype: info.dtype,
});

/**
 * Runs a planned product through `gemm`, returning the result with shape `plan.outShape`.
 * `orientation` forces a layout (`direct` is required when `gemm` fuses a per-column bias or an
 * activation that is not elementwise on the transposed result).
 */
export function runMatMul(
  backend: WasmBackend,
  gemm: Gemm,
  a: TensorInfo,
  b: TensorInfo,
  plan: MatMulPlan,
  orientation: MatMulOrientation = 'auto',
): TensorInfo {
  const p = foldBatch(plan);
  const { m, k, n, transposeA: tA, transposeB: tB } = p;
  const costs = orientationCosts(p);
  const swapped = orientation === 'swapped' || (orientation === 'auto' && costs.swapped < costs.direct);
  const temps = new TempTensors(backend);
  try {
    // A single direct product is returned as is; everything else is assembled in `out`.
    const out = p.batch === 1 && !swapped ? null : temps.alloc(plan.outShape);
    for (let i = 0; i < p.batch; i++) {
      const aOff = (p.batchA === 1 ? 0 : i) * m * k;
      const bOff = (p.batchB === 1 ? 0 : i) * k * n;
      let product: TensorInfo;
      if (!swapped) {
        let left: TensorInfo;
        if (!tA && p.batch === 1) {
          left = view(a, [1, m, k]);
        } else {
          left = temps.alloc([1, m, k]);
          if (tA) transpose2d(backend, a, aOff, k, m, left);
          else copy(backend, a, aOff, m * k, left);
        }
        const right = temps.alloc([1, k, n]);
        if (tB) transpose2d(backend, b, bOff, n, k, right);
        else copy(backend, b, bOff, k * n, right);
        product = temps.keep(gemm(left, right));
        temps.dispose(right);
        if (left.dataId !== a.dataId) temps.dispose(left);
        if (out == null) {
          temps.release(product);
          return view(product, plan.outShape);
        }
        copy(backend, product, 0, m * n, out, i * m * n);
      } else {
        let left: TensorInfo;
        if (tB && p.batch === 1) {
          left = view(b, [1, n, k]);
        } else {
          left = temps.alloc([1, n, k]);
          if (tB) copy(backend, b, bOff, n * k, left);
          else transpose2d(backend, b, bOff, k, n, left);
        }
        const right = temps.alloc([1, k, m]);
        if (tA) copy(backend, a, aOff, k * m, right);
        else transpose2d(backend, a, aOff, m, k, right);
        product = temps.keep(gemm(left, right));
        temps.dispose(right);
        if (left.dataId !== b.dataId) temps.dispose(left);
        transpose2d(backend, product, 0, n, m, out!, i * m * n);
      }
      temps.dispose(product);
    }
    return temps.release(out!);
  } finally {
    temps.disposeAll();
  }
}
