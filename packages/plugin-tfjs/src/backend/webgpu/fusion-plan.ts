/**
 * Fusion plan: where every parameter (or gradient, or EMA weight) of a step lives inside a few flat
 * GPU buffers, so that one element-wise WebGPU kernel updates all of them in a single dispatch.
 *
 * tfjs keeps each tensor in its own GPU buffer. The fused kernels copy those buffers into flat
 * "group" buffers with `copyBufferToBuffer` (cheap encoder commands, no shader), dispatch once per
 * group, and copy the results back out. The plan decides the offsets:
 *
 * - Every tensor becomes one or more *pieces*; each piece starts on a tile boundary and is padded
 *   to whole tiles, so a workgroup (one tile) always works on exactly one piece and finds that
 *   piece's constants (learning rate, decay, bias corrections) with one table lookup.
 * - Pieces are packed into *groups*. A group's flat arrays must fit one storage binding
 *   (`maxStorageBufferBindingSize`; AdamW binds weights, first and second moments together, so
 *   three arrays share one binding), so a tensor that does not fit the rest of a group is split
 *   across groups.
 * - Each group's tiles are dispatched as a grid that respects `maxComputeWorkgroupsPerDimension`.
 *
 * Pure logic: no GPU, no tfjs, unit-tested on its own.
 */

/** The WebGPU device limits a plan must respect. */
export interface FusionLimits {
  /** Largest storage-buffer binding, in bytes (WebGPU's default: 128 MiB). */
  maxStorageBufferBindingSize: number;
  /** Largest workgroup count in one dispatch dimension (WebGPU's default: 65,535). */
  maxComputeWorkgroupsPerDimension: number;
}

/** WebGPU's default limits: what any adapter guarantees. */
export const DEFAULT_FUSION_LIMITS: FusionLimits = {
  maxStorageBufferBindingSize: 134_217_728,
  maxComputeWorkgroupsPerDimension: 65_535,
};

/** Options of {@link planFusion}. */
export interface FusionPlanOptions {
  /** Elements per tile (one workgroup's share); a multiple of the workgroup size. */
  tileSize: number;
  /**
   * How many flat arrays of a group's length share the largest binding (3 for AdamW's
   * weights | m | v state buffer, 1 for a gradient or EMA buffer).
   */
  arraysPerBinding: number;
  /** Device limits; default {@link DEFAULT_FUSION_LIMITS}. */
  limits?: FusionLimits;
}

/** A contiguous range of one tensor, placed in a group's flat array. */
export interface FusionPiece {
  /** Index of the tensor in the list given to {@link planFusion}. */
  tensor: number;
  /** First element of the range within the tensor. */
  start: number;
  /** Elements in the range. */
  length: number;
  /** Where the range starts in the group's flat array (a multiple of the tile size). */
  offset: number;
  /** First tile of the piece within the group. */
  firstTile: number;
  /** Tiles the piece covers (`ceil(length / tileSize)`). */
  tiles: number;
}

/** A set of pieces that one dispatch per kernel handles. */
export interface FusionGroup {
  /** The pieces, in tensor order. */
  pieces: FusionPiece[];
  /** Elements of the group's flat array, padding included (a multiple of the tile size). */
  length: number;
  /** Tiles (workgroups) of the group. */
  tiles: number;
  /** Tiles of all earlier groups: where this group's per-tile results start in a shared array. */
  tileBase: number;
  /** Workgroup grid of one dispatch over the group. */
  dispatch: [number, number, number];
}

/** The layout of a list of tensors in flat group buffers. */
export interface FusionPlan {
  /** Elements per tile. */
  tileSize: number;
  /** Arrays sharing the largest binding (see {@link FusionPlanOptions.arraysPerBinding}). */
  arraysPerBinding: number;
  /** The element counts planned for, in order. */
  tensorSizes: readonly number[];
  /** Groups, in order; every non-empty tensor is covered by pieces in one or more of them. */
  groups: FusionGroup[];
  /** Tiles of all groups together. */
  totalTiles: number;
  /** The limits planned for. */
  limits: FusionLimits;
}

/**
 * Workgroup grid for `workgroups` workgroups: `[n, 1, 1]` when that fits one dimension, else a 2-D
 * (or 3-D) grid whose product covers `workgroups`; the kernel skips the surplus workgroups by
 * comparing its flattened workgroup index with the count.
 */
export function dispatchGrid(workgroups: number, maxPerDimension: number): [number, number, number] {
  if (!(Number.isInteger(workgroups) && workgroups >= 0))
    throw new RangeError(`workgroups must be a whole number >= 0, got ${workgroups}`);
  if (!(Number.isInteger(maxPerDimension) && maxPerDimension >= 1))
    throw new RangeError(`maxPerDimension must be a whole number >= 1, got ${maxPerDimension}`);
  if (workgroups <= maxPerDimension) return [Math.max(workgroups, 1), 1, 1];
  const y = Math.ceil(workgroups / maxPerDimension);
  if (y <= maxPerDimension) return [Math.ceil(workgroups / y), y, 1];
  const z = Math.ceil(workgroups / (maxPerDimension * maxPerDimension));
  if (z > maxPerDimension) throw new RangeError(`${workgroups} workgroups exceed a ${maxPerDimension}³ grid`);
  const perZ = Math.ceil(workgroups / z);
  const y3 = Math.ceil(perZ / maxPerDimension);
  return [Math.ceil(perZ / y3), y3, z];
}

/**
 * Plans the flat layout of tensors of `sizes` elements (float32). Tensors keep their order; a
 * tensor of 0 elements gets no piece.
 */
export function planFusion(sizes: readonly number[], options: FusionPlanOptions): FusionPlan {
  const { tileSize, arraysPerBinding } = options;
  const limits = options.limits ?? DEFAULT_FUSION_LIMITS;
  if (!(Number.isInteger(tileSize) && tileSize >= 1))
    throw new RangeError(`tileSize must be >= 1, got ${tileSize}`);
  if (!(Number.isInteger(arraysPerBinding) && arraysPerBinding >= 1))
    throw new RangeError(`arraysPerBinding must be >= 1, got ${arraysPerBinding}`);
  const maxGroupLength =
    Math.floor(limits.maxStorageBufferBindingSize / (4 * arraysPerBinding) / tileSize) * tileSize;
  if (maxGroupLength < tileSize) {
    throw new RangeError(
      `a binding of ${limits.maxStorageBufferBindingSize} bytes cannot hold ${arraysPerBinding} array(s) of one ${tileSize}-element tile`,
    );
  }
  const groups: FusionGroup[] = [];
  let current: FusionGroup | undefined;
  sizes.forEach((size, tensor) => {
    if (!(Number.isInteger(size) && size >= 0))
      throw new RangeError(`tensor ${tensor} has invalid size ${size}`);
    let start = 0;
    while (start < size) {
      if (current === undefined || current.length === maxGroupLength) {
        current = { pieces: [], length: 0, tiles: 0, tileBase: 0, dispatch: [1, 1, 1] };
        groups.push(current);
      }
      const length = Math.min(size - start, maxGroupLength - current.length);
      const tiles = Math.ceil(length / tileSize);
      current.pieces.push({ tensor, start, length, offset: current.length, firstTile: current.tiles, tiles });
      current.length += tiles * tileSize;
      current.tiles += tiles;
      start += length;
    }
  });
  let tileBase = 0;
  for (const group of groups) {
    group.tileBase = tileBase;
    group.dispatch = dispatchGrid(group.tiles, limits.maxComputeWorkgroupsPerDimension);
    tileBase += group.tiles;
  }
  return {
    tileSize,
    arraysPerBinding,
    tensorSizes: [...sizes],
    groups,
    totalTiles: tileBase,
    limits: { ...limits },
  };
}

/** For each tile of `group`, the index (within the group) of the piece it belongs to. */
export function tilePieceTable(group: FusionGroup): Int32Array {
  const table = new Int32Array(Math.max(group.tiles, 1));
  group.pieces.forEach((piece, p) => {
    table.fill(p, piece.firstTile, piece.firstTile + piece.tiles);
  });
  return table;
}

/** `[offset, length]` of every piece of `group`, flattened: what a kernel reads to skip padding. */
export function pieceBoundsTable(group: FusionGroup): Int32Array {
  const table = new Int32Array(Math.max(2 * group.pieces.length, 2));
  group.pieces.forEach((piece, p) => {
    table[2 * p] = piece.offset;
    table[2 * p + 1] = piece.length;
  });
  return table;
}

/**
 * Per-piece constants of `group`, `width` floats per piece, filled from per-tensor values: piece
 * `p` gets `perTensor[k][tensor of p]` in slot `k` (unused slots stay 0). Float32, as the kernel
 * reads them.
 */
export function pieceConstants(
  group: FusionGroup,
  perTensor: readonly (readonly number[])[],
  width = 4,
): Float32Array {
  if (perTensor.length > width)
    throw new RangeError(`${perTensor.length} constants do not fit ${width} slots`);
  const table = new Float32Array(Math.max(width * group.pieces.length, width));
  group.pieces.forEach((piece, p) => {
    perTensor.forEach((values, k) => {
      const value = values[piece.tensor];
      if (value === undefined) throw new RangeError(`no constant ${k} for tensor ${piece.tensor}`);
      table[width * p + k] = value;
    });
  });
  return table;
}

/** A stable key of a plan's inputs, for caching plans and their GPU tables. */
export function planKey(sizes: readonly number[], options: FusionPlanOptions): string {
  const limits = options.limits ?? DEFAULT_FUSION_LIMITS;
  return [
    options.tileSize,
    options.arraysPerBinding,
    limits.maxStorageBufferBindingSize,
    limits.maxComputeWorkgroupsPerDimension,
    sizes.join(','),
  ].join('|');
}
