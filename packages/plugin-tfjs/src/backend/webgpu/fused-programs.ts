/**
 * The fused training kernels as tfjs-backend-webgpu programs: WGSL source and the program
 * descriptors `WebGPUBackend.runWebGPUProgram` takes. Pure (strings and plain objects), so the
 * uniform layouts and dispatch shapes are unit-tested without a GPU; `fused-kernels.ts` runs them.
 *
 * tfjs-backend-webgpu wraps `getUserCode()` in its own header: the output is bound as
 * `result: array<f32>` (read_write: the fused kernels update it in place), each input as
 * `var<storage, read> <name>: array<…>`, the program's uniforms as fields of `uniforms`, and with a
 * flat `dispatchLayout` it calls `main(index)` with the flattened global invocation index, which
 * stays correct when the grid is 2-D or 3-D (see `dispatchGrid`).
 */
import { dispatchGrid, type FusionGroup, type FusionPlan } from './fusion-plan.js';

/** Invocations per workgroup of every fused kernel. */
export const WORKGROUP_SIZE = 256;
/** Elements each invocation handles per tile. */
export const ELEMENTS_PER_INVOCATION = 4;
/** Elements per tile: what one workgroup handles (see `FusionPlanOptions.tileSize`). */
export const TILE_SIZE = WORKGROUP_SIZE * ELEMENTS_PER_INVOCATION;

/** One uniform value of a program, as `runWebGPUProgram` takes them (after tfjs's own). */
export interface ProgramUniform {
  /** `int32` or `float32`. */
  type: 'int32' | 'float32';
  /** The value (one element: every uniform here is a scalar). */
  data: number[];
}

/**
 * The subset of tfjs-backend-webgpu's `WebGPUProgram` these kernels use (structurally the same
 * interface; `dispatch` and `shaderKey` are rewritten by tfjs when it runs the program).
 */
export interface FusedProgram {
  /** Cache key of the compiled pipeline (tfjs appends shapes and dtypes). */
  shaderKey: string;
  /** Input names, in binding order. */
  variableNames: string[];
  /** Shape of the output (`result`). */
  outputShape: number[];
  /** Flat layout: tfjs calls `main(index)` with the global invocation index. */
  dispatchLayout: { x: number[] };
  /** Workgroup grid. */
  dispatch: [number, number, number];
  /** Workgroup size. */
  workgroupSize: [number, number, number];
  /** WGSL fields appended to tfjs's `Uniforms` struct, in the order of {@link FusedCall.uniforms}. */
  uniforms: string;
  /** The WGSL body: helpers and `fn main(index: i32)`. */
  getUserCode: () => string;
}

/** A program with the uniform values of one call. */
export interface FusedCall {
  /** The program. */
  program: FusedProgram;
  /** Values of the program's own uniforms. */
  uniforms: ProgramUniform[];
}

/** An `int32` scalar uniform value. */
export const i32 = (value: number): ProgramUniform => ({ type: 'int32', data: [value] });
/** A `float32` scalar uniform value. */
export const f32 = (value: number): ProgramUniform => ({ type: 'float32', data: [value] });

/** Flat index of element `k` of invocation `lane` in tile `tile` (coalesced: lanes adjacent). */
const ELEMENT_INDEX = (k: string) => `tile * ${TILE_SIZE} + ${k} * ${WORKGROUP_SIZE} + lane`;

/** Shared prologue: which tile and lane this invocation is. */
const TILE_PROLOGUE = `
  let tile = index / ${WORKGROUP_SIZE};
  let lane = index % ${WORKGROUP_SIZE};`;

/** Tree reduction of `partial` (workgroup memory) into `partial[0]`; all invocations take part. */
const WORKGROUP_SUM = `
  workgroupBarrier();
  for (var stride = ${WORKGROUP_SIZE / 2}; stride > 0; stride = stride / 2) {
    if (lane < stride) {
      partial[lane] = partial[lane] + partial[lane + stride];
    }
    workgroupBarrier();
  }`;

function program(
  key: string,
  variableNames: string[],
  outputShape: number[],
  dispatch: [number, number, number],
  uniforms: string,
  code: string,
): FusedProgram {
  return {
    shaderKey: `mlops_fused_${key}_${WORKGROUP_SIZE}x${ELEMENTS_PER_INVOCATION}`,
    variableNames,
    outputShape,
    dispatchLayout: { x: [0] },
    dispatch,
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
    uniforms,
    getUserCode: () => code,
  };
}

const ADAMW_CODE = `
fn main(index: i32) {${TILE_PROLOGUE}
  if (tile >= uniforms.numTiles) {
    return;
  }
  let piece = tilePiece[tile];
  let start = pieceBounds[2 * piece];
  let count = pieceBounds[2 * piece + 1];
  let decay = pieceConsts[4 * piece];
  let biasCorrection2Sqrt = pieceConsts[4 * piece + 1];
  let stepSize = pieceConsts[4 * piece + 2];
  let n = uniforms.flatLength;
  for (var k = 0; k < ${ELEMENTS_PER_INVOCATION}; k = k + 1) {
    let i = ${ELEMENT_INDEX('k')};
    if (i - start < count) {
      let g = grads[i];
      let m = result[n + i] * uniforms.beta1 + g * uniforms.oneMinusBeta1;
      let v = result[2 * n + i] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
      let denominator = sqrt(v) / biasCorrection2Sqrt + uniforms.eps;
      result[n + i] = m;
      result[2 * n + i] = v;
      result[i] = result[i] * decay - (m / denominator) * stepSize;
    }
  }
}
`;

/**
 * AdamW over one group, in place on its state buffer `[weights | m | v]` (3 × `group.length`):
 * the float32 operations of `train/adamw.ts`, in the same order. Inputs: the group's flat
 * gradients, its tile → piece table, piece bounds and piece constants
 * (`[1 − lr·wd, √(1 − β2ᵗ), lr / (1 − β1ᵗ), 0]` per piece).
 */
export function adamwCall(group: FusionGroup, beta1: number, beta2: number, eps: number): FusedCall {
  return {
    program: program(
      'adamw',
      ['grads', 'tilePiece', 'pieceBounds', 'pieceConsts'],
      [3 * group.length],
      group.dispatch,
      'numTiles : i32, flatLength : i32, beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, eps : f32,',
      ADAMW_CODE,
    ),
    // 1 − β in float64 then rounded once, as the wasm kernel and tfjs's scalar ops do.
    uniforms: [
      i32(group.tiles),
      i32(group.length),
      f32(beta1),
      f32(1 - beta1),
      f32(beta2),
      f32(1 - beta2),
      f32(eps),
    ],
  };
}

/**
 * Tiles one workgroup of the sum-of-squares kernel adds up before its one tree reduction: fewer
 * workgroups, barriers and partial sums (a software renderer pays dearly for each barrier).
 */
export const TILES_PER_SQUARES_WORKGROUP = 16;

/** Where each group's partial sums start in the array all groups share, and how many in all. */
export function partialSumLayout(plan: FusionPlan): { bases: number[]; counts: number[]; total: number } {
  const counts = plan.groups.map((group) => Math.ceil(group.tiles / TILES_PER_SQUARES_WORKGROUP));
  const bases: number[] = [];
  let total = 0;
  for (const count of counts) {
    bases.push(total);
    total += count;
  }
  return { bases, counts, total };
}

const SQUARES_CODE = `
var<workgroup> partial: array<f32, ${WORKGROUP_SIZE}>;

fn main(index: i32) {
  let block = index / ${WORKGROUP_SIZE};
  let lane = index % ${WORKGROUP_SIZE};
  var sum = 0.0;
  for (var j = 0; j < ${TILES_PER_SQUARES_WORKGROUP}; j = j + 1) {
    let tile = block * ${TILES_PER_SQUARES_WORKGROUP} + j;
    if (tile < uniforms.numTiles) {
      let piece = tilePiece[tile];
      let start = pieceBounds[2 * piece];
      let count = pieceBounds[2 * piece + 1];
      for (var k = 0; k < ${ELEMENTS_PER_INVOCATION}; k = k + 1) {
        let i = ${ELEMENT_INDEX('k')};
        if (i - start < count) {
          let g = grads[i];
          sum = sum + g * g;
        }
      }
    }
  }
  partial[lane] = sum;${WORKGROUP_SUM}
  if (lane == 0 && block < uniforms.numBlocks) {
    result[uniforms.partialBase + block] = partial[0];
  }
}
`;

/**
 * Σ g² of one group, {@link TILES_PER_SQUARES_WORKGROUP} tiles per workgroup, written to
 * `partials[partialBase + workgroup]` (the output, shared by all groups: see
 * {@link partialSumLayout}). Inputs: the group's flat gradients and its tables.
 */
export function squaresCall(plan: FusionPlan, g: number): FusedCall {
  const group = plan.groups[g]!;
  const layout = partialSumLayout(plan);
  const blocks = layout.counts[g]!;
  return {
    program: program(
      'squares',
      ['grads', 'tilePiece', 'pieceBounds'],
      [layout.total],
      dispatchGrid(blocks, plan.limits.maxComputeWorkgroupsPerDimension),
      'numTiles : i32, numBlocks : i32, partialBase : i32,',
      SQUARES_CODE,
    ),
    uniforms: [i32(group.tiles), i32(blocks), i32(layout.bases[g]!)],
  };
}

/** Slots of the output of {@link normCall} with clipping. */
export const NORM_SLOTS = {
  /** Σ g² over all gradients. */
  sumOfSquares: 0,
  /** √Σ g². */
  norm: 1,
  /** `min(1, maxNorm / (norm + 1e-6))`, or 1 when clipping is off. */
  clipCoefficient: 2,
} as const;

function normCode(withClip: boolean): string {
  const clip = withClip
    ? `
    let norm = sqrt(total);
    result[${NORM_SLOTS.norm}] = norm;
    var coefficient = 1.0;
    if (uniforms.maxNorm > 0.0) {
      coefficient = min(uniforms.maxNorm / (norm + 1e-6), 1.0);
    }
    result[${NORM_SLOTS.clipCoefficient}] = coefficient;`
    : '';
  return `
var<workgroup> partial: array<f32, ${WORKGROUP_SIZE}>;

fn main(index: i32) {
  let lane = index % ${WORKGROUP_SIZE};
  // Kahan-compensated: tens of thousands of tile sums in float32.
  var sum = 0.0;
  var carry = 0.0;
  for (var i = lane; i < uniforms.numPartials; i = i + ${WORKGROUP_SIZE}) {
    let y = partials[i] - carry;
    let t = sum + y;
    carry = (t - sum) - y;
    sum = t;
  }
  partial[lane] = sum;${WORKGROUP_SUM}
  if (lane == 0) {
    let total = partial[0];
    result[${NORM_SLOTS.sumOfSquares}] = total;${clip}
  }
}
`;
}

/**
 * One workgroup adding the partial sums of {@link squaresCall}: output the scalar Σ g², or, with
 * `maxNorm` given, `[Σ g², norm, clip coefficient]` (see {@link NORM_SLOTS}) — `torch`'s
 * `clip_grad_norm_` coefficient, computed on the GPU so nothing is read back.
 */
export function normCall(plan: FusionPlan, maxNorm?: number): FusedCall {
  const withClip = maxNorm !== undefined;
  return {
    program: program(
      withClip ? 'norm_clip' : 'norm',
      ['partials'],
      withClip ? [3] : [],
      [1, 1, 1],
      withClip ? 'numPartials : i32, maxNorm : f32,' : 'numPartials : i32,',
      normCode(withClip),
    ),
    uniforms: withClip
      ? [i32(partialSumLayout(plan).total), f32(maxNorm)]
      : [i32(partialSumLayout(plan).total)],
  };
}

const SCALE_CODE = `
fn main(index: i32) {${TILE_PROLOGUE}
  if (tile >= uniforms.numTiles) {
    return;
  }
  let coefficient = normInfo[${NORM_SLOTS.clipCoefficient}];
  for (var k = 0; k < ${ELEMENTS_PER_INVOCATION}; k = k + 1) {
    let i = ${ELEMENT_INDEX('k')};
    result[i] = result[i] * coefficient;
  }
}
`;

/** Multiplies one group's flat gradients (the output, in place) by the clip coefficient of {@link normCall}. */
export function scaleCall(group: FusionGroup): FusedCall {
  return {
    program: program('scale', ['normInfo'], [group.length], group.dispatch, 'numTiles : i32,', SCALE_CODE),
    uniforms: [i32(group.tiles)],
  };
}

const EMA_CODE = `
fn main(index: i32) {${TILE_PROLOGUE}
  if (tile >= uniforms.numTiles) {
    return;
  }
  for (var k = 0; k < ${ELEMENTS_PER_INVOCATION}; k = k + 1) {
    let i = ${ELEMENT_INDEX('k')};
    result[i] = result[i] * uniforms.decay + weights[i] * uniforms.oneMinusDecay;
  }
}
`;

/**
 * `shadow ← d·shadow + (1 − d)·w` over one group, in place on the flat shadows (the output), as
 * `train/ema.ts` computes it. Input: the group's flat weights.
 */
export function emaCall(group: FusionGroup, decay: number): FusedCall {
  return {
    program: program(
      'ema',
      ['weights'],
      [group.length],
      group.dispatch,
      'numTiles : i32, decay : f32, oneMinusDecay : f32,',
      EMA_CODE,
    ),
    uniforms: [i32(group.tiles), f32(decay), f32(1 - decay)],
  };
}
