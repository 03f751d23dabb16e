/**
 * Training-mode BatchNorm for the `webgpu` backend as WGSL programs: the kernels
 * `MlopsBatchNormTrain` and `MlopsBatchNormTrainGrad` (the contract of the wasm ones,
 * `../wasm-kernels/batch-norm-train.ts`) in two dispatches each, instead of tfjs-layers' composite
 * (`tf.moments` + `tf.batchNorm` + the moving-average updates, and autodiff of all that: about 30
 * tfjs-webgpu dispatches per layer and step).
 *
 * - forward: `statsCall` — per channel the batch mean, then Σ(x − mean)² (two passes over the
 *   rows, as `tf.moments`; Kahan-compensated float32 sums), the biased variance and, given the
 *   moving statistics, their updated values, into one `[k·C]` buffer; `applyCall` — y = (x − mean)
 *   · γ/√(var + ε) + β per element.
 * - gradient: `gradSumsCall` — per channel dβ = Σdy and dγ = Σdy·(x − mean)/√(var + ε);
 *   `gradDxCall` — dx = γ/σ · (dy − dβ/N − (x − mean)/σ · dγ/N) per element.
 *
 * A reduction workgroup owns {@link BatchNormReductionPlan.channelLanes} adjacent channels (so a
 * row's channels are read coalesced) and strides over the rows with the remaining lanes, then adds
 * the lanes' sums in a fixed tree: results depend on the shape only, never on timing. Pure
 * (strings and plain objects): plans and programs are unit-tested without a GPU;
 * `batch-norm-kernels.ts` runs them.
 */
import { type FusedCall, type FusedProgram, f32, i32, type ProgramUniform } from './fused-programs.js';
import { dispatchGrid } from './fusion-plan.js';

/** Invocations per workgroup of the BatchNorm programs. */
export const BN_WORKGROUP_SIZE = 256;
/** Largest number of channels one reduction workgroup owns. */
export const MAX_CHANNEL_LANES = 64;
/** Rows each row lane of a reduction workgroup handles, at most (past it the rows are split). */
export const ROWS_PER_LANE = 32;
/** Most row blocks of a reduction (their partials are merged by one invocation per channel). */
export const MAX_ROW_BLOCKS = 1024;

/** How a per-channel reduction over `rows × channels` (channels last) is spread over workgroups. */
export interface BatchNormReductionPlan {
  /** Adjacent channels per workgroup (a power of two ≤ {@link MAX_CHANNEL_LANES}). */
  channelLanes: number;
  /** Lanes striding over the rows per channel (`BN_WORKGROUP_SIZE / channelLanes`). */
  rowLanes: number;
  /** Channel blocks: `⌈channels / channelLanes⌉`. */
  channelBlocks: number;
  /** Row blocks (1: one workgroup sees all rows of its channels, no merge pass). */
  rowBlocks: number;
  /** Rows per row block (the last may have fewer, never none). */
  rowsPerBlock: number;
  /** Workgroups: `channelBlocks × rowBlocks`. */
  workgroups: number;
}

/**
 * The reduction layout of a `rows × channels` activation: the smallest power of two ≥ `channels`
 * (at most {@link MAX_CHANNEL_LANES}) channels per workgroup, the other lanes of the workgroup
 * over the rows; past {@link ROWS_PER_LANE} rows per lane the rows are split into row blocks (at
 * most {@link MAX_ROW_BLOCKS}), one workgroup each, so a large activation (MobileNetV4's first
 * layers at 224 px: 800k rows of 32 channels) keeps the GPU busy instead of one workgroup looping
 * over all rows; their partials are then merged per channel in a second, small dispatch.
 */
export function planBatchNormReduction(rows: number, channels: number): BatchNormReductionPlan {
  if (!(Number.isInteger(rows) && rows >= 1))
    throw new RangeError(`rows must be a whole number >= 1, got ${rows}`);
  if (!(Number.isInteger(channels) && channels >= 1))
    throw new RangeError(`channels must be a whole number >= 1, got ${channels}`);
  let channelLanes = 1;
  while (channelLanes < channels && channelLanes < MAX_CHANNEL_LANES) channelLanes *= 2;
  const rowLanes = BN_WORKGROUP_SIZE / channelLanes;
  const channelBlocks = Math.ceil(channels / channelLanes);
  const wanted = Math.min(MAX_ROW_BLOCKS, Math.ceil(rows / (rowLanes * ROWS_PER_LANE)));
  const rowsPerBlock = Math.ceil(rows / wanted);
  // Recounted from the block length, so that no block is empty.
  const rowBlocks = Math.ceil(rows / rowsPerBlock);
  return {
    channelLanes,
    rowLanes,
    channelBlocks,
    rowBlocks,
    rowsPerBlock,
    workgroups: channelBlocks * rowBlocks,
  };
}

/** A BatchNorm program with the uniform values of one call (the fused kernels' call shape). */
export type BatchNormCall = FusedCall;

function program(
  key: string,
  variableNames: string[],
  outputShape: number[],
  dispatch: [number, number, number],
  uniforms: string,
  code: string,
): FusedProgram {
  return {
    shaderKey: `mlops_bn_${key}_${BN_WORKGROUP_SIZE}`,
    variableNames,
    outputShape,
    dispatchLayout: { x: [0] },
    dispatch,
    workgroupSize: [BN_WORKGROUP_SIZE, 1, 1],
    uniforms,
    getUserCode: () => code,
  };
}

/** Uniforms every reduction program declares first (see {@link reductionUniforms}). */
const REDUCTION_UNIFORMS = 'rows : i32, channels : i32, channelBlocks : i32, rowsPerBlock : i32,';

function reductionUniforms(rows: number, channels: number, plan: BatchNormReductionPlan): ProgramUniform[] {
  return [i32(rows), i32(channels), i32(plan.channelBlocks), i32(plan.rowsPerBlock)];
}

/** Which channel, row lane and row block an invocation of a reduction workgroup is. */
function reductionPrologue(plan: BatchNormReductionPlan): string {
  return `
  let block = index / ${BN_WORKGROUP_SIZE};
  let lane = index % ${BN_WORKGROUP_SIZE};
  let channelLane = lane % ${plan.channelLanes};
  let rowLane = lane / ${plan.channelLanes};
  let channels = uniforms.channels;
  let rows = uniforms.rows;
  let channelBlock = block % uniforms.channelBlocks;
  let rowBlock = block / uniforms.channelBlocks;
  let rowStart = rowBlock * uniforms.rowsPerBlock;
  let rowEnd = min(rows, rowStart + uniforms.rowsPerBlock);
  let blockRows = f32(rowEnd - rowStart);
  let c = channelBlock * ${plan.channelLanes} + channelLane;`;
}

/** Adds the row lanes' values of `array` (workgroup memory) into its first `channelLanes` slots. */
function rowLaneSum(plan: BatchNormReductionPlan, array: string): string {
  return `
  workgroupBarrier();
  for (var stride = ${plan.rowLanes / 2}; stride > 0; stride = stride / 2) {
    if (rowLane < stride) {
      ${array}[lane] = ${array}[lane] + ${array}[lane + stride * ${plan.channelLanes}];
    }
    workgroupBarrier();
  }`;
}

/** A Kahan-compensated Σ over this lane's rows of `term` (WGSL using `i`, the element index). */
function laneSum(plan: BatchNormReductionPlan, name: string, term: string): string {
  return `
  var ${name} = 0.0;
  {
    var carry = 0.0;
    if (c < channels) {
      for (var r = rowStart + rowLane; r < rowEnd; r = r + ${plan.rowLanes}) {
        let i = r * channels + c;
        let y = (${term}) - carry;
        let t = ${name} + y;
        carry = (t - ${name}) - y;
        ${name} = t;
      }
    }
  }`;
}

/** Slots (in units of C) of the output of {@link statsCall}. */
export const STATS_SLOTS = { mean: 0, variance: 1, movingMean: 2, movingVariance: 3 } as const;

/**
 * Batch mean and biased variance per channel of `x` (`rows × channels`), and with `moving` the
 * updated moving statistics `moving − (moving − batch)·(1 − momentum)` (tfjs-layers' formula):
 * output `[2·C]` or `[4·C]` in {@link STATS_SLOTS} order. Inputs: `x` (and `movingMean`,
 * `movingVariance`).
 */
export function statsCall(rows: number, channels: number, moving: boolean, momentum: number): BatchNormCall {
  const plan = planBatchNormReduction(rows, channels);
  if (plan.rowBlocks > 1) throw new RangeError(`statsCall: ${rows} rows need row blocks (statsCalls)`);
  return statsProgram(rows, channels, plan, moving ? 'moving' : 'batch', momentum);
}

/** Uniform that turns momentum into the moving statistics' decay, `1 − momentum` in float32. */
const decayOf = (momentum: number) => f32(Math.fround(1 - momentum));

/**
 * The statistics of a `rows × channels` activation as the kernel runs them: {@link statsCall} when
 * one row block suffices; else {@link STATS_PARTIAL} per row block (local mean and Σ(x − local
 * mean)², output `[rowBlocks·2·C]`) and a merge (Chan's parallel variance, blocks in order;
 * inputs `partials` and the moving statistics) writing the {@link statsCall} output.
 */
export function statsCalls(
  rows: number,
  channels: number,
  moving: boolean,
  momentum: number,
): BatchNormCall[] {
  const plan = planBatchNormReduction(rows, channels);
  if (plan.rowBlocks === 1)
    return [statsProgram(rows, channels, plan, moving ? 'moving' : 'batch', momentum)];
  return [
    statsProgram(rows, channels, plan, 'partial', momentum),
    mergeStatsCall(rows, channels, plan, moving, momentum),
  ];
}

/** Marks the per-row-block variant of a reduction program. */
export const STATS_PARTIAL = 'partial';

function statsProgram(
  rows: number,
  channels: number,
  plan: BatchNormReductionPlan,
  kind: 'moving' | 'batch' | typeof STATS_PARTIAL,
  momentum: number,
): BatchNormCall {
  const moving = kind === 'moving';
  const finalCode =
    kind === STATS_PARTIAL
      ? `
    result[(2 * rowBlock) * channels + c] = mean;
    result[(2 * rowBlock + 1) * channels + c] = partial[channelLane];`
      : `
    let variance = partial[channelLane] / f32(rows);
    result[${STATS_SLOTS.mean} * channels + c] = mean;
    result[${STATS_SLOTS.variance} * channels + c] = variance;`;
  const movingCode = moving
    ? `
    result[${STATS_SLOTS.movingMean} * channels + c] = movingMean[c] - (movingMean[c] - mean) * uniforms.decay;
    result[${STATS_SLOTS.movingVariance} * channels + c] = movingVariance[c] - (movingVariance[c] - variance) * uniforms.decay;`
    : '';
  const code = `
var<workgroup> partial: array<f32, ${BN_WORKGROUP_SIZE}>;

fn main(index: i32) {${reductionPrologue(plan)}${laneSum(plan, 'sum', 'x[i]')}
  partial[lane] = sum;${rowLaneSum(plan, 'partial')}
  let mean = partial[channelLane] / blockRows;
  workgroupBarrier();${laneSum(plan, 'squares', '(x[i] - mean) * (x[i] - mean)')}
  partial[lane] = squares;${rowLaneSum(plan, 'partial')}
  if (rowLane == 0 && c < channels) {${finalCode}${movingCode}
  }
}
`;
  return {
    program: program(
      `stats_${kind}_${plan.channelLanes}`,
      moving ? ['x', 'movingMean', 'movingVariance'] : ['x'],
      [kind === STATS_PARTIAL ? 2 * plan.rowBlocks * channels : (moving ? 4 : 2) * channels],
      dispatchGrid(plan.workgroups, MAX_WORKGROUPS_PER_DIMENSION),
      `${REDUCTION_UNIFORMS} decay : f32,`,
      code,
    ),
    uniforms: [...reductionUniforms(rows, channels, plan), decayOf(momentum)],
  };
}

/** Every WebGPU adapter allows this many workgroups per dimension (row blocks stay far below). */
const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** Rows of row block `rb` (WGSL), from the uniforms `rows` and `rowsPerBlock`. */
const BLOCK_ROWS = `f32(min(uniforms.rows, (rb + 1) * uniforms.rowsPerBlock) - rb * uniforms.rowsPerBlock)`;

function mergeStatsCall(
  rows: number,
  channels: number,
  plan: BatchNormReductionPlan,
  moving: boolean,
  momentum: number,
): BatchNormCall {
  const movingCode = moving
    ? `
  result[${STATS_SLOTS.movingMean} * channels + c] = movingMean[c] - (movingMean[c] - mean) * uniforms.decay;
  result[${STATS_SLOTS.movingVariance} * channels + c] = movingVariance[c] - (movingVariance[c] - variance) * uniforms.decay;`
    : '';
  const code = `
fn main(index: i32) {
  let channels = uniforms.channels;
  let c = index;
  if (c >= channels) {
    return;
  }
  let total = f32(uniforms.rows);
  var weighted = 0.0;
  for (var rb = 0; rb < uniforms.rowBlocks; rb = rb + 1) {
    weighted = weighted + ${BLOCK_ROWS} * partials[(2 * rb) * channels + c];
  }
  let mean = weighted / total;
  var m2 = 0.0;
  for (var rb = 0; rb < uniforms.rowBlocks; rb = rb + 1) {
    let d = partials[(2 * rb) * channels + c] - mean;
    m2 = m2 + partials[(2 * rb + 1) * channels + c] + ${BLOCK_ROWS} * d * d;
  }
  let variance = m2 / total;
  result[${STATS_SLOTS.mean} * channels + c] = mean;
  result[${STATS_SLOTS.variance} * channels + c] = variance;${movingCode}
}
`;
  return {
    program: program(
      `stats_merge_${moving ? 'moving' : 'batch'}`,
      moving ? ['partials', 'movingMean', 'movingVariance'] : ['partials'],
      [(moving ? 4 : 2) * channels],
      [Math.ceil(channels / BN_WORKGROUP_SIZE), 1, 1],
      'rows : i32, channels : i32, rowsPerBlock : i32, rowBlocks : i32, decay : f32,',
      code,
    ),
    uniforms: [i32(rows), i32(channels), i32(plan.rowsPerBlock), i32(plan.rowBlocks), decayOf(momentum)],
  };
}

const APPLY_CODE = `
fn main(index: i32) {
  if (index >= uniforms.numElements) {
    return;
  }
  let channels = uniforms.channels;
  let c = index % channels;
  let scale = gamma[c] / sqrt(stats[${STATS_SLOTS.variance} * channels + c] + uniforms.epsilon);
  result[index] = (x[index] - stats[${STATS_SLOTS.mean} * channels + c]) * scale + beta[c];
}
`;

/** Workgroup grid of an element-wise pass over `elements` (2-D/3-D past `maxPerDimension`). */
export function elementwiseGrid(elements: number, maxPerDimension: number): [number, number, number] {
  return dispatchGrid(Math.ceil(elements / BN_WORKGROUP_SIZE), maxPerDimension);
}

/**
 * y = (x − mean)·γ/√(var + ε) + β, one invocation per element. Inputs: `x`, the
 * {@link statsCall} output `stats`, `gamma`, `beta`; output shaped as `x`.
 */
export function applyCall(
  shape: number[],
  channels: number,
  epsilon: number,
  maxPerDimension: number,
): BatchNormCall {
  const elements = shape.reduce((a, b) => a * b, 1);
  return {
    program: program(
      'apply',
      ['x', 'stats', 'gamma', 'beta'],
      shape,
      elementwiseGrid(elements, maxPerDimension),
      'numElements : i32, channels : i32, epsilon : f32,',
      APPLY_CODE,
    ),
    uniforms: [i32(elements), i32(channels), f32(epsilon)],
  };
}

/** Slots (in units of C) of the output of {@link gradSumsCall}. */
export const GRAD_SLOTS = { dBeta: 0, dGamma: 1 } as const;

/**
 * dβ = Σdy and dγ = Σdy·(x − mean)/√(var + ε) per channel (one pass over dy and x): output
 * `[2·C]` in {@link GRAD_SLOTS} order. Inputs: `dy`, `x`, `mean`, `variance`.
 */
export function gradSumsCall(rows: number, channels: number, epsilon: number): BatchNormCall {
  const plan = planBatchNormReduction(rows, channels);
  if (plan.rowBlocks > 1) throw new RangeError(`gradSumsCall: ${rows} rows need row blocks (gradSumsCalls)`);
  return gradSumsProgram(rows, channels, plan, epsilon, false);
}

/**
 * The gradient sums as the kernel runs them: {@link gradSumsCall} when one row block suffices; else
 * Σdy and Σdy·(x − mean) per row block (output `[rowBlocks·2·C]`) and a merge adding the blocks
 * in order (inputs `partials`, `variance`) into the {@link gradSumsCall} output.
 */
export function gradSumsCalls(rows: number, channels: number, epsilon: number): BatchNormCall[] {
  const plan = planBatchNormReduction(rows, channels);
  if (plan.rowBlocks === 1) return [gradSumsProgram(rows, channels, plan, epsilon, false)];
  const merge = `
fn main(index: i32) {
  let channels = uniforms.channels;
  let c = index;
  if (c >= channels) {
    return;
  }
  var sumDy = 0.0;
  var sumDyXc = 0.0;
  for (var rb = 0; rb < uniforms.rowBlocks; rb = rb + 1) {
    sumDy = sumDy + partials[(2 * rb) * channels + c];
    sumDyXc = sumDyXc + partials[(2 * rb + 1) * channels + c];
  }
  result[${GRAD_SLOTS.dBeta} * channels + c] = sumDy;
  result[${GRAD_SLOTS.dGamma} * channels + c] = sumDyXc / sqrt(variance[c] + uniforms.epsilon);
}
`;
  return [
    gradSumsProgram(rows, channels, plan, epsilon, true),
    {
      program: program(
        'grad_merge',
        ['partials', 'variance'],
        [2 * channels],
        [Math.ceil(channels / BN_WORKGROUP_SIZE), 1, 1],
        'channels : i32, rowBlocks : i32, epsilon : f32,',
        merge,
      ),
      uniforms: [i32(channels), i32(plan.rowBlocks), f32(epsilon)],
    },
  ];
}

function gradSumsProgram(
  rows: number,
  channels: number,
  plan: BatchNormReductionPlan,
  epsilon: number,
  partialOnly: boolean,
): BatchNormCall {
  const finalCode = partialOnly
    ? `
    result[(2 * rowBlock) * channels + c] = partialDy[channelLane];
    result[(2 * rowBlock + 1) * channels + c] = partialDyXc[channelLane];`
    : `
    result[${GRAD_SLOTS.dBeta} * channels + c] = partialDy[channelLane];
    result[${GRAD_SLOTS.dGamma} * channels + c] = partialDyXc[channelLane] / sqrt(variance[c] + uniforms.epsilon);`;
  const code = `
var<workgroup> partialDy: array<f32, ${BN_WORKGROUP_SIZE}>;
var<workgroup> partialDyXc: array<f32, ${BN_WORKGROUP_SIZE}>;

fn main(index: i32) {${reductionPrologue(plan)}
  var m = 0.0;
  if (c < channels) {
    m = mean[c];
  }${laneSum(plan, 'sumDy', 'dy[i]')}${laneSum(plan, 'sumDyXc', 'dy[i] * (x[i] - m)')}
  partialDy[lane] = sumDy;
  partialDyXc[lane] = sumDyXc;${rowLaneSum(plan, 'partialDy')}${rowLaneSum(plan, 'partialDyXc')}
  if (rowLane == 0 && c < channels) {${finalCode}
  }
}
`;
  return {
    program: program(
      `grad_sums_${partialOnly ? 'partial' : 'final'}_${plan.channelLanes}`,
      partialOnly ? ['dy', 'x', 'mean'] : ['dy', 'x', 'mean', 'variance'],
      [2 * (partialOnly ? plan.rowBlocks : 1) * channels],
      dispatchGrid(plan.workgroups, MAX_WORKGROUPS_PER_DIMENSION),
      `${REDUCTION_UNIFORMS} epsilon : f32,`,
      code,
    ),
    uniforms: [...reductionUniforms(rows, channels, plan), f32(epsilon)],
  };
}

const GRAD_DX_CODE = `
fn main(index: i32) {
  if (index >= uniforms.numElements) {
    return;
  }
  let channels = uniforms.channels;
  let c = index % channels;
  let invStd = 1.0 / sqrt(variance[c] + uniforms.epsilon);
  let gInv = gamma[c] * invStd;
  let b = -gInv * invStd * sums[${GRAD_SLOTS.dGamma} * channels + c] / uniforms.rows;
  let c0 = -gInv * sums[${GRAD_SLOTS.dBeta} * channels + c] / uniforms.rows;
  result[index] = dy[index] * gInv + (x[index] - mean[c]) * b + c0;
}
`;

/**
 * dx = dy·γ/σ + (x − mean)·(−γ/σ²·dγ/N) − γ/σ·dβ/N per element (σ = √(var + ε); the exact
 * gradient of the batch-statistics normalization). Inputs: `dy`, `x`, `mean`, `variance`,
 * `gamma`, the {@link gradSumsCall} output `sums`; output shaped as `x`.
 */
export function gradDxCall(
  shape: number[],
  channels: number,
  epsilon: number,
  maxPerDimension: number,
): BatchNormCall {
  const elements = shape.reduce((a, b) => a * b, 1);
  return {
    program: program(
      'grad_dx',
      ['dy', 'x', 'mean', 'variance', 'gamma', 'sums'],
      shape,
      elementwiseGrid(elements, maxPerDimension),
      'numElements : i32, channels : i32, epsilon : f32, rows : f32,',
      GRAD_DX_CODE,
    ),
    uniforms: [i32(elements), i32(channels), f32(epsilon), f32(elements / channels)],
  };
}
