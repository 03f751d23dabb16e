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
  planBatchNormReduction,
  STATS_SLOTS,
  statsCall,
} from '../../src/backend/webgpu/batch-norm-programs.js';

describe('planBatchNormReduction', () => {
  it('gives each workgroup the next power of two of channels, at most 64, and the rest of the lanes to rows', () => {
    expect(planBatchNormReduction(100, 1)).toEqual({ channelLanes: 1, rowLanes: 256, workgroups: 1 });
    expect(planBatchNormReduction(100, 8)).toEqual({ channelLanes: 8, rowLanes: 32, workgroups: 1 });
    expect(planBatchNormReduction(100, 24)).toEqual({ channelLanes: 32, rowLanes: 8, workgroups: 1 });
    expect(planBatchNormReduction(100, 64)).toEqual({ channelLanes: 64, rowLanes: 4, workgroups: 1 });
    expect(planBatchNormReduction(100, 100)).toEqual({ channelLanes: 64, rowLanes: 4, workgroups: 2 });
    expect(planBatchNormReduction(8, 1280)).toEqual({ channelLanes: 64, rowLanes: 4, workgroups: 20 });
  });

  it('covers every channel exactly once with whole workgroups', () => {
    for (const channels of [1, 3, 7, 16, 33, 63, 65, 96, 960]) {
      const plan = planBatchNormReduction(10, channels);
      expect(plan.channelLanes * plan.rowLanes).toBe(BN_WORKGROUP_SIZE);
      expect(plan.workgroups * plan.channelLanes).toBeGreaterThanOrEqual(channels);
      expect((plan.workgroups - 1) * plan.channelLanes).toBeLessThan(channels);
    }
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
    const withMoving = statsCall(6 * 6 * 4, 100, true, 0.9);
    expect(withMoving.program.outputShape).toEqual([400]);
    expect(withMoving.program.variableNames).toEqual(['x', 'movingMean', 'movingVariance']);
    expect(withMoving.program.dispatch).toEqual([2, 1, 1]);
    expect(withMoving.uniforms).toEqual([
      { type: 'int32', data: [144] },
      { type: 'int32', data: [100] },
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
      applyCall([2, 5, 5, 8], 8, 1e-5, 65535),
      gradSumsCall(50, 8, 1e-5),
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
      for (const [name] of fields) expect(call.program.getUserCode()).toContain(`uniforms.${name}`);
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
