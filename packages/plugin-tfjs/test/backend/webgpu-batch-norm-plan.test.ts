/**
 * The pure side of the WebGPU training BatchNorm kernels (`batch-norm-programs.ts`): reduction
 * layouts, dispatch grids, output layouts and uniforms — checked without a GPU.
 */
import { describe, expect, it } from 'vitest';
import {
  applyCall,
  BN_WORKGROUP_SIZE,
  elementwiseGrid,
  GRAD_SLOTS,
  gradDxCall,
  gradSumsCall,
  gradSumsCalls,
  MAX_ROW_BLOCKS,
  planBatchNormReduction,
  ROWS_PER_LANE,
  STATS_SLOTS,
  statsCall,
  statsCalls,
} from '../../src/backend/webgpu/batch-norm-programs.js';

describe('planBatchNormReduction', () => {
  it('gives each workgroup the next power of two of channels, at most 64, and the rest of the lanes to rows', () => {
    const one = (channelLanes: number, channelBlocks: number, rows: number) => ({
      channelLanes,
      rowLanes: 256 / channelLanes,
      channelBlocks,
      rowBlocks: 1,
      rowsPerBlock: rows,
      workgroups: channelBlocks,
    });
    expect(planBatchNormReduction(100, 1)).toEqual(one(1, 1, 100));
    expect(planBatchNormReduction(100, 8)).toEqual(one(8, 1, 100));
    expect(planBatchNormReduction(100, 24)).toEqual(one(32, 1, 100));
    expect(planBatchNormReduction(100, 64)).toEqual(one(64, 1, 100));
    expect(planBatchNormReduction(100, 100)).toEqual(one(64, 2, 100));
    expect(planBatchNormReduction(8, 1280)).toEqual(one(64, 20, 8));
  });

  it('covers every channel exactly once with whole workgroups', () => {
    for (const channels of [1, 3, 7, 16, 33, 63, 65, 96, 960]) {
      const plan = planBatchNormReduction(10, channels);
      expect(plan.channelLanes * plan.rowLanes).toBe(BN_WORKGROUP_SIZE);
      expect(plan.channelBlocks * plan.channelLanes).toBeGreaterThanOrEqual(channels);
      expect((plan.channelBlocks - 1) * plan.channelLanes).toBeLessThan(channels);
    }
  });

  it('splits many rows into non-empty row blocks of at most 32 rows per lane, up to 1,024 blocks', () => {
    // 32 channels: 8 row lanes, so up to 256 rows in one block.
    expect(planBatchNormReduction(256, 32).rowBlocks).toBe(1);
    expect(planBatchNormReduction(257, 32)).toMatchObject({ rowBlocks: 2, rowsPerBlock: 129, workgroups: 2 });
    // MobileNetV4's stem BN at 224 px, batch 64: 64·112·112 rows of 32 channels.
    const stem = planBatchNormReduction(64 * 112 * 112, 32);
    expect(stem).toMatchObject({ channelBlocks: 1, rowBlocks: 1024, rowsPerBlock: 784, workgroups: 1024 });
    for (const [rows, channels] of [
      [20001, 3],
      [6300, 8],
      [9, 256],
      [1_000_003, 100],
      [2049, 1],
    ] as const) {
      const plan = planBatchNormReduction(rows, channels);
      expect(plan.rowBlocks).toBeLessThanOrEqual(MAX_ROW_BLOCKS);
      expect(plan.rowsPerBlock * plan.rowBlocks).toBeGreaterThanOrEqual(rows);
      // The last block has at least one row.
      expect((plan.rowBlocks - 1) * plan.rowsPerBlock).toBeLessThan(rows);
      if (plan.rowBlocks < MAX_ROW_BLOCKS)
        expect(plan.rowsPerBlock).toBeLessThanOrEqual(plan.rowLanes * ROWS_PER_LANE);
      expect(plan.workgroups).toBe(plan.channelBlocks * plan.rowBlocks);
    }
  });

  it('runs one reduction dispatch for one row block, a partial pass and a merge for several', () => {
    expect(statsCalls(100, 8, true, 0.9)).toHaveLength(1);
    const [partial, merge] = statsCalls(6300, 8, true, 0.9);
    const plan = planBatchNormReduction(6300, 8);
    expect(partial!.program.variableNames).toEqual(['x']);
    expect(partial!.program.outputShape).toEqual([2 * plan.rowBlocks * 8]);
    expect(partial!.program.dispatch).toEqual([plan.workgroups, 1, 1]);
    expect(merge!.program.variableNames).toEqual(['partials', 'movingMean', 'movingVariance']);
    expect(merge!.program.outputShape).toEqual([4 * 8]);
    const [gradPartial, gradMerge] = gradSumsCalls(6300, 8, 1e-5);
    expect(gradPartial!.program.variableNames).toEqual(['dy', 'x', 'mean']);
    expect(gradMerge!.program.variableNames).toEqual(['partials', 'variance']);
    expect(gradMerge!.program.outputShape).toEqual([2 * 8]);
    expect(() => statsCall(6300, 8, true, 0.9)).toThrow(/row blocks/);
  });

  it('refuses empty or fractional shapes', () => {
    expect(() => planBatchNormReduction(0, 8)).toThrow(/rows/);
    expect(() => planBatchNormReduction(4, 0)).toThrow(/channels/);
    expect(() => planBatchNormReduction(4.5, 8)).toThrow(/rows/);
  });
});

describe('BatchNorm programs', () => {
  it('element-wise grids cover every element and go 2-D past the per-dimension limit', () => {
    expect(elementwiseGrid(1000, 65535)).toEqual([4, 1, 1]);
    // MobileNetV4's first BN at 224 px, batch 64: 64·112·112·32 elements.
    const [x, y, z] = elementwiseGrid(64 * 112 * 112 * 32, 65535);
    expect(y).toBeGreaterThan(1);
    expect(x * y * z * BN_WORKGROUP_SIZE).toBeGreaterThanOrEqual(64 * 112 * 112 * 32);
    expect(x).toBeLessThanOrEqual(65535);
  });

  it('the statistics program writes 2 or 4 slots per channel and binds the moving statistics only when given', () => {
    const withMoving = statsCall(120, 100, true, 0.9);
    expect(withMoving.program.outputShape).toEqual([400]);
    expect(withMoving.program.variableNames).toEqual(['x', 'movingMean', 'movingVariance']);
    expect(withMoving.program.dispatch).toEqual([2, 1, 1]);
    expect(withMoving.uniforms).toEqual([
      { type: 'int32', data: [120] },
      { type: 'int32', data: [100] },
      { type: 'int32', data: [2] },
      { type: 'int32', data: [120] },
      { type: 'float32', data: [Math.fround(1 - 0.9)] },
    ]);
    const code = withMoving.program.getUserCode();
    expect(code).toContain(`result[${STATS_SLOTS.movingVariance} * channels + c]`);
    const batchOnly = statsCall(10, 3, false, 0.9);
    expect(batchOnly.program.outputShape).toEqual([6]);
    expect(batchOnly.program.variableNames).toEqual(['x']);
    expect(batchOnly.program.getUserCode()).not.toContain('movingMean');
    // Programs of another lane layout compile separately; the same layout shares a pipeline.
    expect(statsCall(10, 3, false, 0.9).program.shaderKey).toBe(batchOnly.program.shaderKey);
    expect(statsCall(10, 100, false, 0.9).program.shaderKey).not.toBe(batchOnly.program.shaderKey);
  });

  it('uniform declarations match the uniform values, in order and type', () => {
    const calls = [
      statsCall(50, 8, true, 0.99),
      ...statsCalls(6300, 8, true, 0.99),
      ...statsCalls(6300, 8, false, 0.99),
      applyCall([2, 5, 5, 8], 8, 1e-5, 65535),
      gradSumsCall(50, 8, 1e-5),
      ...gradSumsCalls(20001, 3, 1e-5),
      gradDxCall([2, 5, 5, 8], 8, 1e-5, 65535),
    ];
    for (const call of calls) {
      const fields = call.program.uniforms
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean)
        .map((f) => f.split(':').map((s) => s.trim()));
      expect(fields.map(([, type]) => (type === 'i32' ? 'int32' : 'float32'))).toEqual(
        call.uniforms.map((u) => u.type),
      );
      // The moving-statistics decay and ε are declared by every variant, read where needed.
      for (const [name] of fields.filter(([n]) => n !== 'decay' && n !== 'epsilon'))
        expect(call.program.getUserCode()).toContain(`uniforms.${name}`);
    }
  });

  it('the element-wise passes count elements and rows from the shape', () => {
    const apply = applyCall([2, 5, 5, 8], 8, 1e-3, 65535);
    expect(apply.program.outputShape).toEqual([2, 5, 5, 8]);
    expect(apply.uniforms.map((u) => u.data[0])).toEqual([400, 8, 1e-3]);
    const dx = gradDxCall([37, 24], 24, 1e-5, 65535);
    expect(dx.program.variableNames).toEqual(['dy', 'x', 'mean', 'variance', 'gamma', 'sums']);
    expect(dx.uniforms.at(-1)!.data).toEqual([37]);
    const sums = gradSumsCall(37, 24, 1e-5);
    expect(sums.program.outputShape).toEqual([2 * 24]);
    expect(sums.program.getUserCode()).toContain(`result[${GRAD_SLOTS.dGamma} * channels + c]`);
  });
});
