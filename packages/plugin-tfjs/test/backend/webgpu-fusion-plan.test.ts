import { describe, expect, it } from 'vitest';
import {
  adamwCall,
  emaCall,
  NORM_SLOTS,
  normCall,
  partialSumLayout,
  scaleCall,
  squaresCall,
  TILE_SIZE,
  TILES_PER_SQUARES_WORKGROUP,
  WORKGROUP_SIZE,
} from '../../src/backend/webgpu/fused-programs.js';
import {
  DEFAULT_FUSION_LIMITS,
  dispatchGrid,
  type FusionPlan,
  pieceBoundsTable,
  pieceConstants,
  planFusion,
  planKey,
  tilePieceTable,
} from '../../src/backend/webgpu/fusion-plan.js';

/** Every element of every tensor lands exactly once, in a tile of its own piece, inside the group. */
function expectCovers(plan: FusionPlan): void {
  const seen = plan.tensorSizes.map((n) => new Uint8Array(n));
  for (const group of plan.groups) {
    const owner = new Int32Array(group.length).fill(-1);
    const tiles = tilePieceTable(group);
    group.pieces.forEach((piece, p) => {
      expect(piece.offset % plan.tileSize).toBe(0);
      expect(piece.firstTile * plan.tileSize).toBe(piece.offset);
      expect(piece.tiles).toBe(Math.ceil(piece.length / plan.tileSize));
      for (let t = piece.firstTile; t < piece.firstTile + piece.tiles; t++) expect(tiles[t]).toBe(p);
      for (let i = 0; i < piece.length; i++) {
        expect(owner[piece.offset + i]).toBe(-1);
        owner[piece.offset + i] = p;
        seen[piece.tensor]![piece.start + i]! += 1;
      }
    });
    expect(group.length).toBe(group.tiles * plan.tileSize);
  }
  for (const s of seen) expect(s.every((c) => c === 1)).toBe(true);
}

describe('planFusion', () => {
  it('packs all tensors of a model into one group, each piece tile-aligned and padded', () => {
    const sizes = [432, 16, 16, 1, 4608, 32, 0, 1025];
    const plan = planFusion(sizes, { tileSize: 256, arraysPerBinding: 3 });
    expect(plan.groups).toHaveLength(1);
    const [group] = plan.groups;
    // 0-element tensors get no piece; the others start on tile boundaries.
    expect(group!.pieces.map((p) => [p.tensor, p.offset, p.length])).toEqual([
      [0, 0, 432],
      [1, 512, 16],
      [2, 768, 16],
      [3, 1024, 1],
      [4, 1280, 4608],
      [5, 5888, 32],
      [7, 6144, 1025],
    ]);
    expect(group!.tiles).toBe(2 + 1 + 1 + 1 + 18 + 1 + 5);
    expect(plan.totalTiles).toBe(group!.tiles);
    expect(group!.dispatch).toEqual([29, 1, 1]);
    expectCovers(plan);
  });

  it('splits across groups so that the arrays sharing a binding fit the binding limit', () => {
    const limits = { maxStorageBufferBindingSize: 3 * 4 * 1024, maxComputeWorkgroupsPerDimension: 65_535 };
    const plan = planFusion([700, 3000, 10, 400], { tileSize: 128, arraysPerBinding: 3, limits });
    for (const group of plan.groups)
      expect(3 * 4 * group.length).toBeLessThanOrEqual(limits.maxStorageBufferBindingSize);
    expect(plan.groups.length).toBeGreaterThan(3);
    // The big tensor is split into ranges that follow each other.
    const pieces = plan.groups.flatMap((g) => g.pieces).filter((p) => p.tensor === 1);
    expect(pieces.length).toBeGreaterThan(1);
    let next = 0;
    for (const p of pieces) {
      expect(p.start).toBe(next);
      next += p.length;
    }
    expect(next).toBe(3000);
    // Per-tile results of all groups share one array: each group starts where the last ended.
    let base = 0;
    for (const group of plan.groups) {
      expect(group.tileBase).toBe(base);
      base += group.tiles;
    }
    expect(plan.totalTiles).toBe(base);
    expectCovers(plan);
  });

  it('dispatches more tiles than one grid dimension holds as a 2-D grid', () => {
    const limits = { maxStorageBufferBindingSize: 2 ** 30, maxComputeWorkgroupsPerDimension: 100 };
    const plan = planFusion([256 * 1000 + 5], { tileSize: 256, arraysPerBinding: 1, limits });
    const [x, y, z] = plan.groups[0]!.dispatch;
    expect(x * y * z).toBeGreaterThanOrEqual(1001);
    expect(Math.max(x, y, z)).toBeLessThanOrEqual(100);
    expect(z).toBe(1);
  });

  it('rejects tiles that cannot fit a binding, and bad sizes', () => {
    expect(() =>
      planFusion([10], {
        tileSize: 1024,
        arraysPerBinding: 3,
        limits: { maxStorageBufferBindingSize: 4096, maxComputeWorkgroupsPerDimension: 10 },
      }),
    ).toThrow(/cannot hold/);
    expect(() => planFusion([1.5], { tileSize: 4, arraysPerBinding: 1 })).toThrow(/invalid size/);
    expect(() => planFusion([4], { tileSize: 0, arraysPerBinding: 1 })).toThrow(/tileSize/);
  });

  it('keys plans by sizes, layout and limits', () => {
    const a = planKey([1, 2], { tileSize: 4, arraysPerBinding: 3 });
    expect(planKey([1, 2], { tileSize: 4, arraysPerBinding: 3, limits: DEFAULT_FUSION_LIMITS })).toBe(a);
    expect(planKey([1, 2], { tileSize: 4, arraysPerBinding: 1 })).not.toBe(a);
    expect(planKey([2, 1], { tileSize: 4, arraysPerBinding: 3 })).not.toBe(a);
  });
});

describe('dispatchGrid', () => {
  it('covers the workgroups within the per-dimension limit in 1, 2 or 3 dimensions', () => {
    for (const [n, max] of [
      [0, 10],
      [7, 10],
      [10, 10],
      [11, 10],
      [99, 10],
      [101, 10],
      [999, 10],
      [12, 3],
      [27, 3],
      [65_536, 65_535],
    ] as const) {
      const grid = dispatchGrid(n, max);
      expect(grid[0] * grid[1] * grid[2]).toBeGreaterThanOrEqual(Math.max(n, 1));
      expect(Math.max(...grid)).toBeLessThanOrEqual(max);
    }
    expect(dispatchGrid(12, 3)[2]).toBeGreaterThan(1);
    expect(() => dispatchGrid(1001, 10)).toThrow(/exceed/);
  });
});

describe('piece tables', () => {
  it('give each piece its bounds and its tensor constants', () => {
    const plan = planFusion([5, 300, 2], { tileSize: 256, arraysPerBinding: 3 });
    const group = plan.groups[0]!;
    expect(Array.from(pieceBoundsTable(group))).toEqual([0, 5, 256, 300, 768, 2]);
    expect(Array.from(tilePieceTable(group))).toEqual([0, 1, 1, 2]);
    const constants = pieceConstants(group, [
      [0.9, 1, 0.8],
      [0.1, 0.2, 0.3],
    ]);
    expect(Array.from(constants)).toEqual(
      Array.from(Float32Array.from([0.9, 0.1, 0, 0, 1, 0.2, 0, 0, 0.8, 0.3, 0, 0])),
    );
    expect(() => pieceConstants(group, [[1]])).toThrow(/no constant/);
  });
});

describe('fused programs', () => {
  const plan = planFusion([5000, 40, 3], { tileSize: TILE_SIZE, arraysPerBinding: 3 });
  const group = plan.groups[0]!;
  const calls = {
    adamw: adamwCall(group, 0.9, 0.999, 1e-8),
    squares: squaresCall(plan, 0),
    norm: normCall(plan),
    normClip: normCall(plan, 1),
    scale: scaleCall(group),
    ema: emaCall(group, 0.99),
  };

  it('declare one uniform value per uniform field, with matching types', () => {
    for (const [name, call] of Object.entries(calls)) {
      const fields = call.program.uniforms
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean)
        .map((f) => f.split(':')[1]!.trim());
      expect(
        fields.map((t) => (t === 'i32' ? 'int32' : 'float32')),
        name,
      ).toEqual(call.uniforms.map((u) => u.type));
      for (const field of call.program.uniforms.split(',').filter((f) => f.trim())) {
        expect(call.program.getUserCode(), name).toContain(`uniforms.${field.split(':')[0]!.trim()}`);
      }
      for (const input of call.program.variableNames)
        expect(call.program.getUserCode(), name).toContain(`${input}[`);
      expect(call.program.getUserCode()).toContain('fn main(index: i32)');
      expect(call.program.workgroupSize).toEqual([WORKGROUP_SIZE, 1, 1]);
    }
  });

  it('dispatch one workgroup per tile, except the single-workgroup norm', () => {
    expect(calls.adamw.program.dispatch).toEqual(group.dispatch);
    expect(calls.adamw.program.outputShape).toEqual([3 * group.length]);
    expect(calls.squares.program.outputShape).toEqual([partialSumLayout(plan).total]);
    expect(calls.squares.program.dispatch).toEqual([
      Math.ceil(group.tiles / TILES_PER_SQUARES_WORKGROUP),
      1,
      1,
    ]);
    expect(calls.norm.program.dispatch).toEqual([1, 1, 1]);
    expect(calls.norm.program.outputShape).toEqual([]);
    expect(calls.normClip.program.outputShape).toEqual([3]);
    expect(calls.normClip.program.getUserCode()).toContain(`result[${NORM_SLOTS.clipCoefficient}]`);
    // Distinct shader keys: tfjs caches pipelines by them.
    const keys = Object.values(calls).map((c) => c.program.shaderKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('round 1 − β once from float64, as the wasm kernel does', () => {
    const beta1 = calls.adamw.uniforms[3]!.data[0]!;
    expect(Math.fround(beta1)).toBe(Math.fround(1 - 0.9));
  });
});
