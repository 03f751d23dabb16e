/**
 * WebAssembly SIMD versions of the training kernels' hottest loops, running directly on the tfjs
 * wasm backend's heap (the module imports the backend's `WebAssembly.Memory`).
 *
 * Each loop also exists in plain JS; the JS version is used when SIMD is unavailable, when the
 * backend's memory cannot be reached, or when disabled with {@link setSimdKernelsEnabled} (tests
 * compare both). All addresses are byte offsets into the heap.
 */
import { KernelPool } from '../wasm-threads/kernel-pool.js';
import { getKernelThreads } from '../wasm-threads/thread-count.js';
import { encodeModule, FuncBuilder, I32, OP, SIMD, V128 } from './wasm-asm.js';
import type { WasmBackend } from './wasm-backend.js';

/** The exported SIMD loops. Channel counts are in blocks of 8 floats (two v128 registers). */
export interface SimdKernels {
  /**
   * Depthwise filter gradient of one tap: for each 8-channel block `cb < cBlocks`, the sum over
   * `rows` (i32 pairs at `rowsAddr`: x and dy addresses of a run start) and `runLength` steps of
   * x[.. + cb*32] * dy[.. + cb*32], stored as 8 floats at `outAddr + cb*32`.
   */
  dwFilterTap(
    rowsAddr: number,
    rows: number,
    runLength: number,
    xStep: number,
    dyStep: number,
    cBlocks: number,
    outAddr: number,
  ): void;
  /**
   * Depthwise input gradient by gathering: `list` holds, per pixel, [outAddr, taps, (dyAddr,
   * wAddr) x taps] as i32; for every pixel and 8-channel block, out = Σ_taps dy * w.
   */
  dwGather(listAddr: number, pixels: number, cBlocks: number): void;
  /**
   * Adds `rows` consecutive rows of `groups` x 4 floats (row after row from `xAddr`) into the
   * float64 accumulators at `accAddr` (`groups` x 4 doubles); four rows are summed in float32 first.
   */
  reduceRows(xAddr: number, rows: number, groups: number, accAddr: number): void;
  /**
   * Transposes a [pixels x channels] block (pixel p at `src + p*srcPixelStride`, channels
   * contiguous) into `channels` rows of `pixels` floats (`dstRowStride` bytes apart).
   */
  transposeBlock(
    src: number,
    srcPixelStride: number,
    pixels: number,
    channels: number,
    dst: number,
    dstRowStride: number,
  ): void;
  /**
   * Per-channel affine map of `pixels` rows of `groups` x 4 channels: out = (x - m) * a + o, with
   * (m, a, o) stored per 4-channel group as 12 consecutive floats at `paramsAddr`.
   */
  affineChannels(xAddr: number, outAddr: number, pixels: number, groups: number, paramsAddr: number): void;
  /** Copies `runs` runs of `floats` floats; run k goes from `src + k*srcStep` to `dst + k*dstStep`. */
  copyRuns(src: number, srcStep: number, dst: number, dstStep: number, runs: number, floats: number): void;
  /**
   * Max-pool input gradient of `windows` pooling windows, each `xStep` bytes after the previous one
   * in x and dx and `dyStep` bytes in dy, over `groups` x 4 channels: per window and channel, the
   * first of the `taps` positions (i32 byte offsets from the window's corner, at `tapsAddr`) that
   * holds the strict maximum of x gets dy added to dx (none when all are NaN or -Infinity).
   */
  maxPoolGradRun(
    x: number,
    dy: number,
    dx: number,
    windows: number,
    xStep: number,
    dyStep: number,
    groups: number,
    tapsAddr: number,
    taps: number,
  ): void;
  /**
   * {@link dwGather} for images [first, first + images): the list describes image 0, and image `i`
   * reads dy `i * dyImageBytes` and writes `i * outImageBytes` further on (the filter is shared).
   */
  dwGatherImages(
    listAddr: number,
    pixels: number,
    cBlocks: number,
    first: number,
    images: number,
    dyImageBytes: number,
    outImageBytes: number,
  ): void;
  /**
   * Adds Σ (x - m)² over `rows` rows of `groups` x 4 channels into float64 accumulators at
   * `accAddr` (`groups` x 4 doubles); `m` is `groups` x 4 floats at `meanAddr`. Four rows are
   * summed in float32 first, as in {@link reduceRows}.
   */
  sqDevRows(xAddr: number, rows: number, groups: number, meanAddr: number, accAddr: number): void;
  /**
   * Batch-norm gradient sums over `rows` rows of `groups` x 4 channels: Σ dy into the float64
   * accumulators at `accAddr`, Σ dy·(x - m) into the next `groups` x 4 doubles.
   */
  bnGradSums(
    xAddr: number,
    dyAddr: number,
    rows: number,
    groups: number,
    meanAddr: number,
    accAddr: number,
  ): void;
  /**
   * dx = dy·A + (x - m)·B + C per channel over `rows` rows of `groups` x 4 channels; (m, A, B, C)
   * are 16 consecutive floats per 4-channel group at `paramsAddr`.
   */
  bnGradDx(
    xAddr: number,
    dyAddr: number,
    dxAddr: number,
    rows: number,
    groups: number,
    paramsAddr: number,
  ): void;
  /**
   * One AdamW step over `quads` x 4 floats, in the float32 operation order of the composite
   * (`adamw.ts`): w' = w·decay − (m' / (√v' / c2 + eps))·step, m' = β1·m + (1 − β1)·g,
   * v' = β2·v + (1 − β2)·g². `constsAddr` holds 8 floats: β1, 1 − β1, β2, 1 − β2, decay, c2, eps,
   * step.
   */
  adamw(
    wAddr: number,
    gAddr: number,
    mAddr: number,
    vAddr: number,
    wOut: number,
    mOut: number,
    vOut: number,
    quads: number,
    constsAddr: number,
  ): void;
  /** Adds Σ x² over `quads` x 4 floats to the 4 float64 accumulators at `accAddr` (by lane). */
  sumSquares(xAddr: number, quads: number, accAddr: number): void;
  /** out = max(x, 0) over `quads` x 4 floats (NaN stays NaN). */
  relu(xAddr: number, outAddr: number, quads: number): void;
  /** out = x > 0 ? dy : 0 over `quads` x 4 floats (the ReLU gradient). */
  reluGrad(dyAddr: number, xAddr: number, outAddr: number, quads: number): void;
  /**
   * {@link copyRuns} for `rows` rows: row r copies from `src + r*srcRowStride` to
   * `dst + r*dstRowStride`.
   */
  copyRunRows(
    src: number,
    srcRowStride: number,
    srcStep: number,
    dst: number,
    dstRowStride: number,
    dstStep: number,
    rows: number,
    runs: number,
    floats: number,
  ): void;
  /**
   * {@link transposeBlock} for `rows` rows: row r transposes the block at `src + r*srcRowStride`
   * into `dst + r*dstRowStep` (destination rows `dstRowStride` bytes apart).
   */
  transposeRows(
    src: number,
    srcRowStride: number,
    srcPixelStride: number,
    pixels: number,
    channels: number,
    dst: number,
    dstRowStride: number,
    dstRowStep: number,
    rows: number,
  ): void;
  /**
   * Adds Pᵀ·dY into the float32 accumulators at `accAddr` ([k][co], `k` x `coQuads` x 4 floats),
   * for `rows` rows of P ([rows, k]) and dY ([rows, coQuads x 4]): the filter gradient of a
   * convolution with few patch elements (a stem), without transposes or packing. Rows go in blocks
   * of 64 so that each (k, channel quad) sum stays in a register over a block.
   */
  gemmTN(pAddr: number, dyAddr: number, rows: number, k: number, coQuads: number, accAddr: number): void;
}

/** f32x4.mul of two loads at `a + offset`, `b + offset`, added to local v128 `acc`. */
function macInto(f: FuncBuilder, acc: number, a: number, b: number, offset: number): void {
  f.get(acc).get(a).simd(SIMD.load, offset).get(b).simd(SIMD.load, offset).simd(SIMD.f32x4Mul);
  f.simd(SIMD.f32x4Add).set(acc);
}

function buildDwFilterTap(): FuncBuilder {
  const f = new FuncBuilder('dwFilterTap', [I32, I32, I32, I32, I32, I32, I32]);
  const [rowsAddr, rows, run, xStep, dyStep, cBlocks, out] = [0, 1, 2, 3, 4, 5, 6];
  const cb = f.local(I32);
  const r = f.local(I32);
  const j = f.local(I32);
  const xi = f.local(I32);
  const yi = f.local(I32);
  const coff = f.local(I32);
  const rp = f.local(I32);
  const acc0 = f.local(V128);
  const acc1 = f.local(V128);
  f.forRange(cb, cBlocks, () => {
    f.get(cb).i32(32).op(OP.i32Mul).set(coff);
    f.zeroV128().set(acc0).zeroV128().set(acc1);
    f.get(rowsAddr).set(rp);
    f.forRange(r, rows, () => {
      f.get(rp).mem(OP.i32Load, 0).get(coff).op(OP.i32Add).set(xi);
      f.get(rp).mem(OP.i32Load, 4).get(coff).op(OP.i32Add).set(yi);
      f.addTo(rp, 8);
      f.forRange(j, run, () => {
        macInto(f, acc0, xi, yi, 0);
        macInto(f, acc1, xi, yi, 16);
        f.addLocal(xi, xStep).addLocal(yi, dyStep);
      });
    });
    f.get(out).get(coff).op(OP.i32Add).get(acc0).simd(SIMD.store, 0);
    f.get(out).get(coff).op(OP.i32Add).get(acc1).simd(SIMD.store, 16);
  });
  return f;
}

function buildDwGather(): FuncBuilder {
  const f = new FuncBuilder('dwGather', [I32, I32, I32]);
  const [list, pixels, cBlocks] = [0, 1, 2];
  const p = f.local(I32);
  const out = f.local(I32);
  const taps = f.local(I32);
  const cb = f.local(I32);
  const t = f.local(I32);
  const coff = f.local(I32);
  const tp = f.local(I32);
  const lp = f.local(I32);
  const a = f.local(I32);
  const b = f.local(I32);
  const acc0 = f.local(V128);
  const acc1 = f.local(V128);
  f.get(list).set(lp);
  f.forRange(p, pixels, () => {
    f.get(lp).mem(OP.i32Load, 0).set(out);
    f.get(lp).mem(OP.i32Load, 4).set(taps);
    f.addTo(lp, 8);
    f.forRange(cb, cBlocks, () => {
      f.get(cb).i32(32).op(OP.i32Mul).set(coff);
      f.zeroV128().set(acc0).zeroV128().set(acc1);
      f.get(lp).set(tp);
      f.forRange(t, taps, () => {
        f.get(tp).mem(OP.i32Load, 0).get(coff).op(OP.i32Add).set(a);
        f.get(tp).mem(OP.i32Load, 4).get(coff).op(OP.i32Add).set(b);
        macInto(f, acc0, a, b, 0);
        macInto(f, acc1, a, b, 16);
        f.addTo(tp, 8);
      });
      f.get(out).get(coff).op(OP.i32Add).get(acc0).simd(SIMD.store, 0);
      f.get(out).get(coff).op(OP.i32Add).get(acc1).simd(SIMD.store, 16);
    });
    // Skip this pixel's tap pairs.
    f.get(lp).get(taps).i32(8).op(OP.i32Mul).op(OP.i32Add).set(lp);
  });
  return f;
}

function buildReduceRows(): FuncBuilder {
  const f = new FuncBuilder('reduceRows', [I32, I32, I32, I32]);
  const [x, rows, groups, acc] = [0, 1, 2, 3];
  const rowBytes = f.local(I32);
  const quads = f.local(I32);
  const q = f.local(I32);
  const g = f.local(I32);
  const p0 = f.local(I32);
  const ap = f.local(I32);
  const rest = f.local(I32);
  const s = f.local(V128);
  f.get(groups).i32(16).op(OP.i32Mul).set(rowBytes);
  f.get(rows).i32(4).op(OP.i32DivS).set(quads);
  f.get(rows).get(quads).i32(4).op(OP.i32Mul).op(OP.i32Sub).set(rest);
  f.get(x).set(p0);
  // s (f32x4) -> acc[ap] += low two lanes, acc[ap+16] += high two lanes, as float64.
  const flush = (): void => {
    f.get(ap).get(ap).simd(SIMD.load, 0).get(s).simd(SIMD.f64x2PromoteLowF32x4).simd(SIMD.f64x2Add);
    f.simd(SIMD.store, 0);
    f.get(ap).get(ap).simd(SIMD.load, 16).get(s).get(s).shuffle32([2, 3, 0, 1]);
    f.simd(SIMD.f64x2PromoteLowF32x4).simd(SIMD.f64x2Add).simd(SIMD.store, 16);
  };
  // Four rows at a time: three float32 adds, then one float64 accumulation.
  f.forRange(q, quads, () => {
    f.get(acc).set(ap);
    f.forRange(g, groups, () => {
      f.get(p0).simd(SIMD.load, 0);
      f.get(p0).get(rowBytes).op(OP.i32Add).simd(SIMD.load, 0).simd(SIMD.f32x4Add);
      f.get(p0).get(rowBytes).i32(2).op(OP.i32Mul).op(OP.i32Add).simd(SIMD.load, 0).simd(SIMD.f32x4Add);
      f.get(p0).get(rowBytes).i32(3).op(OP.i32Mul).op(OP.i32Add).simd(SIMD.load, 0).simd(SIMD.f32x4Add);
      f.set(s);
      flush();
      f.addTo(p0, 16).addTo(ap, 32);
    });
    // p0 advanced by one row; skip the other three.
    f.get(p0).get(rowBytes).i32(3).op(OP.i32Mul).op(OP.i32Add).set(p0);
  });
  f.forRange(q, rest, () => {
    f.get(acc).set(ap);
    f.forRange(g, groups, () => {
      f.get(p0).simd(SIMD.load, 0).set(s);
      flush();
      f.addTo(p0, 16).addTo(ap, 32);
    });
  });
  return f;
}

function buildTransposeBlock(): FuncBuilder {
  const f = new FuncBuilder('transposeBlock', [I32, I32, I32, I32, I32, I32]);
  const [src, sps, pixels, channels, dst, drs] = [0, 1, 2, 3, 4, 5];
  const p4 = f.local(I32);
  const c4 = f.local(I32);
  const pq = f.local(I32);
  const cq = f.local(I32);
  const p = f.local(I32);
  const c = f.local(I32);
  const s0 = f.local(I32);
  const d0 = f.local(I32);
  const va = f.local(V128);
  const vb = f.local(V128);
  const vc = f.local(V128);
  const vd = f.local(V128);
  const t0 = f.local(V128);
  const t1 = f.local(V128);
  const t2 = f.local(V128);
  const t3 = f.local(V128);
  f.get(pixels).i32(4).op(OP.i32DivS).set(pq);
  f.get(channels).i32(4).op(OP.i32DivS).set(cq);
  f.get(pq).i32(4).op(OP.i32Mul).set(p4);
  f.get(cq).i32(4).op(OP.i32Mul).set(c4);
  const scalarCopy = (): void => {
    // dst[c*drs + p*4] = src[p*sps + c*4]
    f.get(dst).get(c).get(drs).op(OP.i32Mul).op(OP.i32Add).get(p).i32(4).op(OP.i32Mul).op(OP.i32Add);
    f.get(src).get(p).get(sps).op(OP.i32Mul).op(OP.i32Add).get(c).i32(4).op(OP.i32Mul).op(OP.i32Add);
    f.mem(OP.f32Load).mem(OP.f32Store);
  };
  const cBlock = f.local(I32);
  const pBlock = f.local(I32);
  f.forRange(cBlock, cq, () => {
    f.get(cBlock).i32(4).op(OP.i32Mul).set(c);
    f.forRange(pBlock, pq, () => {
      f.get(pBlock).i32(4).op(OP.i32Mul).set(p);
      f.get(src)
        .get(p)
        .get(sps)
        .op(OP.i32Mul)
        .op(OP.i32Add)
        .get(c)
        .i32(4)
        .op(OP.i32Mul)
        .op(OP.i32Add)
        .set(s0);
      f.get(s0).simd(SIMD.load, 0).set(va);
      f.get(s0).get(sps).op(OP.i32Add).tee(s0).simd(SIMD.load, 0).set(vb);
      f.get(s0).get(sps).op(OP.i32Add).tee(s0).simd(SIMD.load, 0).set(vc);
      f.get(s0).get(sps).op(OP.i32Add).simd(SIMD.load, 0).set(vd);
      f.get(va).get(vb).shuffle32([0, 4, 1, 5]).set(t0);
      f.get(va).get(vb).shuffle32([2, 6, 3, 7]).set(t1);
      f.get(vc).get(vd).shuffle32([0, 4, 1, 5]).set(t2);
      f.get(vc).get(vd).shuffle32([2, 6, 3, 7]).set(t3);
      f.get(dst)
        .get(c)
        .get(drs)
        .op(OP.i32Mul)
        .op(OP.i32Add)
        .get(p)
        .i32(4)
        .op(OP.i32Mul)
        .op(OP.i32Add)
        .set(d0);
      f.get(d0).get(t0).get(t2).shuffle32([0, 1, 4, 5]).simd(SIMD.store, 0);
      f.get(d0).get(drs).op(OP.i32Add).tee(d0).get(t0).get(t2).shuffle32([2, 3, 6, 7]).simd(SIMD.store, 0);
      f.get(d0).get(drs).op(OP.i32Add).tee(d0).get(t1).get(t3).shuffle32([0, 1, 4, 5]).simd(SIMD.store, 0);
      f.get(d0).get(drs).op(OP.i32Add).get(t1).get(t3).shuffle32([2, 3, 6, 7]).simd(SIMD.store, 0);
    });
    // Leftover pixels of these four channels.
    const k = f.local(I32);
    const four = f.local(I32);
    f.i32(4).set(four);
    f.forRange(k, four, () => {
      f.get(cBlock).i32(4).op(OP.i32Mul).get(k).op(OP.i32Add).set(c);
      f.get(p4).set(p);
      f.op(OP.block, 0x40, OP.loop, 0x40);
      f.get(p).get(pixels).op(OP.i32GeS, OP.brIf, 1);
      scalarCopy();
      f.addTo(p, 1).op(OP.br, 0, OP.end, OP.end);
    });
  });
  // Leftover channels, all pixels.
  f.get(c4).set(c);
  f.op(OP.block, 0x40, OP.loop, 0x40);
  f.get(c).get(channels).op(OP.i32GeS, OP.brIf, 1);
  f.forRange(p, pixels, scalarCopy);
  f.addTo(c, 1).op(OP.br, 0, OP.end, OP.end);
  return f;
}

function buildAffineChannels(): FuncBuilder {
  const f = new FuncBuilder('affineChannels', [I32, I32, I32, I32, I32]);
  const [x, out, pixels, groups, params] = [0, 1, 2, 3, 4];
  const p = f.local(I32);
  const g = f.local(I32);
  const xp = f.local(I32);
  const op = f.local(I32);
  const pm = f.local(I32);
  f.get(x).set(xp).get(out).set(op);
  f.forRange(p, pixels, () => {
    f.get(params).set(pm);
    f.forRange(g, groups, () => {
      f.get(op);
      f.get(xp).simd(SIMD.load, 0).get(pm).simd(SIMD.load, 0).simd(SIMD.f32x4Sub);
      f.get(pm).simd(SIMD.load, 16).simd(SIMD.f32x4Mul);
      f.get(pm).simd(SIMD.load, 32).simd(SIMD.f32x4Add);
      f.simd(SIMD.store, 0);
      f.addTo(xp, 16).addTo(op, 16).addTo(pm, 48);
    });
  });
  return f;
}

function buildCopyRuns(): FuncBuilder {
  const f = new FuncBuilder('copyRuns', [I32, I32, I32, I32, I32, I32]);
  const [src, srcStep, dst, dstStep, runs, floats] = [0, 1, 2, 3, 4, 5];
  const k = f.local(I32);
  const i = f.local(I32);
  const quads = f.local(I32);
  const sp = f.local(I32);
  const dp = f.local(I32);
  const tail = f.local(I32);
  f.get(floats).i32(4).op(OP.i32DivS).set(quads);
  f.get(floats).get(quads).i32(4).op(OP.i32Mul).op(OP.i32Sub).set(tail);
  f.forRange(k, runs, () => {
    f.get(src).get(k).get(srcStep).op(OP.i32Mul).op(OP.i32Add).set(sp);
    f.get(dst).get(k).get(dstStep).op(OP.i32Mul).op(OP.i32Add).set(dp);
    f.forRange(i, quads, () => {
      f.get(dp).get(sp).simd(SIMD.load, 0).simd(SIMD.store, 0);
      f.addTo(sp, 16).addTo(dp, 16);
    });
    f.forRange(i, tail, () => {
      f.get(dp).get(sp).mem(OP.f32Load).mem(OP.f32Store);
      f.addTo(sp, 4).addTo(dp, 4);
    });
  });
  return f;
}

function buildMaxPoolGradRun(): FuncBuilder {
  const f = new FuncBuilder('maxPoolGradRun', [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [x, dy, dx, windows, xStep, dyStep, groups, tapsAddr, taps] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const w = f.local(I32);
  const g = f.local(I32);
  const t = f.local(I32);
  const tp = f.local(I32);
  const coff = f.local(I32);
  const addr = f.local(I32);
  const best = f.local(V128);
  const idx = f.local(V128);
  const gt = f.local(V128);
  const v = f.local(V128);
  const d = f.local(V128);
  f.forRange(w, windows, () => {
    f.forRange(g, groups, () => {
      f.get(g).i32(16).op(OP.i32Mul).set(coff);
      // best = -Infinity, idx = -1 (no position) in every lane.
      f.splatConst32(0xff800000).set(best).splatConst32(-1).set(idx);
      f.get(tapsAddr).set(tp);
      f.forRange(t, taps, () => {
        f.get(x).get(tp).mem(OP.i32Load).op(OP.i32Add).get(coff).op(OP.i32Add).simd(SIMD.load, 0).set(v);
        f.get(v).get(best).simd(SIMD.f32x4Gt).set(gt);
        f.get(v).get(best).get(gt).simd(SIMD.bitselect).set(best);
        f.get(t).simd(SIMD.i32x4Splat).get(idx).get(gt).simd(SIMD.bitselect).set(idx);
        f.addTo(tp, 4);
      });
      f.get(dy).get(coff).op(OP.i32Add).simd(SIMD.load, 0).set(d);
      f.get(tapsAddr).set(tp);
      f.forRange(t, taps, () => {
        f.get(dx).get(tp).mem(OP.i32Load).op(OP.i32Add).get(coff).op(OP.i32Add).set(addr);
        f.get(addr).get(addr).simd(SIMD.load, 0);
        f.get(d).get(t).simd(SIMD.i32x4Splat).get(idx).simd(SIMD.i32x4Eq).simd(SIMD.and);
        f.simd(SIMD.f32x4Add).simd(SIMD.store, 0);
        f.addTo(tp, 4);
      });
    });
    f.addLocal(x, xStep).addLocal(dx, xStep).addLocal(dy, dyStep);
  });
  return f;
}

function buildDwGatherImages(): FuncBuilder {
  const f = new FuncBuilder('dwGatherImages', [I32, I32, I32, I32, I32, I32, I32]);
  const [list, pixels, cBlocks, first, images, dyImage, outImage] = [0, 1, 2, 3, 4, 5, 6];
  const img = f.local(I32);
  const dyOff = f.local(I32);
  const outOff = f.local(I32);
  const p = f.local(I32);
  const out = f.local(I32);
  const taps = f.local(I32);
  const cb = f.local(I32);
  const t = f.local(I32);
  const coff = f.local(I32);
  const tp = f.local(I32);
  const lp = f.local(I32);
  const a = f.local(I32);
  const b = f.local(I32);
  const acc0 = f.local(V128);
  const acc1 = f.local(V128);
  f.forRange(img, images, () => {
    f.get(img).get(first).op(OP.i32Add).get(dyImage).op(OP.i32Mul).set(dyOff);
    f.get(img).get(first).op(OP.i32Add).get(outImage).op(OP.i32Mul).set(outOff);
    f.get(list).set(lp);
    f.forRange(p, pixels, () => {
      f.get(lp).mem(OP.i32Load, 0).get(outOff).op(OP.i32Add).set(out);
      f.get(lp).mem(OP.i32Load, 4).set(taps);
      f.addTo(lp, 8);
      f.forRange(cb, cBlocks, () => {
        f.get(cb).i32(32).op(OP.i32Mul).set(coff);
        f.zeroV128().set(acc0).zeroV128().set(acc1);
        f.get(lp).set(tp);
        f.forRange(t, taps, () => {
          f.get(tp).mem(OP.i32Load, 0).get(coff).op(OP.i32Add).get(dyOff).op(OP.i32Add).set(a);
          f.get(tp).mem(OP.i32Load, 4).get(coff).op(OP.i32Add).set(b);
          macInto(f, acc0, a, b, 0);
          macInto(f, acc1, a, b, 16);
          f.addTo(tp, 8);
        });
        f.get(out).get(coff).op(OP.i32Add).get(acc0).simd(SIMD.store, 0);
        f.get(out).get(coff).op(OP.i32Add).get(acc1).simd(SIMD.store, 16);
      });
      f.get(lp).get(taps).i32(8).op(OP.i32Mul).op(OP.i32Add).set(lp);
    });
  });
  return f;
}

/**
 * Emits `acc[ap] += lanes 0-1 of s`, `acc[ap+16] += lanes 2-3 of s` as float64 (s: f32x4 local).
 */
function flushToF64(f: FuncBuilder, ap: number, s: number, offset = 0): void {
  f.get(ap).get(ap).simd(SIMD.load, offset).get(s).simd(SIMD.f64x2PromoteLowF32x4).simd(SIMD.f64x2Add);
  f.simd(SIMD.store, offset);
  f.get(ap)
    .get(ap)
    .simd(SIMD.load, offset + 16)
    .get(s)
    .get(s)
    .shuffle32([2, 3, 0, 1]);
  f.simd(SIMD.f64x2PromoteLowF32x4)
    .simd(SIMD.f64x2Add)
    .simd(SIMD.store, offset + 16);
}

function buildSqDevRows(): FuncBuilder {
  const f = new FuncBuilder('sqDevRows', [I32, I32, I32, I32, I32]);
  const [x, rows, groups, mean, acc] = [0, 1, 2, 3, 4];
  const rowBytes = f.local(I32);
  const quads = f.local(I32);
  const rest = f.local(I32);
  const q = f.local(I32);
  const g = f.local(I32);
  const p0 = f.local(I32);
  const ap = f.local(I32);
  const mp = f.local(I32);
  const m = f.local(V128);
  const d = f.local(V128);
  const s = f.local(V128);
  f.get(groups).i32(16).op(OP.i32Mul).set(rowBytes);
  f.get(rows).i32(4).op(OP.i32DivS).set(quads);
  f.get(rows).get(quads).i32(4).op(OP.i32Mul).op(OP.i32Sub).set(rest);
  f.get(x).set(p0);
  /** s (+)= (x[row k] - m)² for the row `k` rows below p0. */
  const square = (k: number, first: boolean): void => {
    f.get(p0);
    if (k > 0) f.get(rowBytes).i32(k).op(OP.i32Mul).op(OP.i32Add);
    f.simd(SIMD.load, 0).get(m).simd(SIMD.f32x4Sub).tee(d).get(d).simd(SIMD.f32x4Mul);
    if (!first) f.get(s).simd(SIMD.f32x4Add);
    f.set(s);
  };
  f.forRange(q, quads, () => {
    f.get(acc).set(ap).get(mean).set(mp);
    f.forRange(g, groups, () => {
      f.get(mp).simd(SIMD.load, 0).set(m);
      square(0, true);
      square(1, false);
      square(2, false);
      square(3, false);
      flushToF64(f, ap, s);
      f.addTo(p0, 16).addTo(ap, 32).addTo(mp, 16);
    });
    f.get(p0).get(rowBytes).i32(3).op(OP.i32Mul).op(OP.i32Add).set(p0);
  });
  f.forRange(q, rest, () => {
    f.get(acc).set(ap).get(mean).set(mp);
    f.forRange(g, groups, () => {
      f.get(mp).simd(SIMD.load, 0).set(m);
      square(0, true);
      flushToF64(f, ap, s);
      f.addTo(p0, 16).addTo(ap, 32).addTo(mp, 16);
    });
  });
  return f;
}

function buildBnGradSums(): FuncBuilder {
  const f = new FuncBuilder('bnGradSums', [I32, I32, I32, I32, I32, I32]);
  const [x, dy, rows, groups, mean, acc] = [0, 1, 2, 3, 4, 5];
  const rowBytes = f.local(I32);
  const accBytes = f.local(I32);
  const quads = f.local(I32);
  const rest = f.local(I32);
  const q = f.local(I32);
  const g = f.local(I32);
  const px = f.local(I32);
  const py = f.local(I32);
  const ap = f.local(I32);
  const ap2 = f.local(I32);
  const mp = f.local(I32);
  const m = f.local(V128);
  const v = f.local(V128);
  const sy = f.local(V128);
  const sxy = f.local(V128);
  f.get(groups).i32(16).op(OP.i32Mul).set(rowBytes);
  f.get(groups).i32(32).op(OP.i32Mul).set(accBytes);
  f.get(rows).i32(4).op(OP.i32DivS).set(quads);
  f.get(rows).get(quads).i32(4).op(OP.i32Mul).op(OP.i32Sub).set(rest);
  f.get(x).set(px).get(dy).set(py);
  /** sy (+)= dy[row k]; sxy (+)= dy[row k]·(x[row k] - m). */
  const term = (k: number, first: boolean): void => {
    f.get(py);
    if (k > 0) f.get(rowBytes).i32(k).op(OP.i32Mul).op(OP.i32Add);
    f.simd(SIMD.load, 0).set(v);
    if (first) f.get(v).set(sy);
    else f.get(sy).get(v).simd(SIMD.f32x4Add).set(sy);
    f.get(px);
    if (k > 0) f.get(rowBytes).i32(k).op(OP.i32Mul).op(OP.i32Add);
    f.simd(SIMD.load, 0).get(m).simd(SIMD.f32x4Sub).get(v).simd(SIMD.f32x4Mul);
    if (!first) f.get(sxy).simd(SIMD.f32x4Add);
    f.set(sxy);
  };
  const body = (n: number): void => {
    f.get(acc).set(ap).get(acc).get(accBytes).op(OP.i32Add).set(ap2).get(mean).set(mp);
    f.forRange(g, groups, () => {
      f.get(mp).simd(SIMD.load, 0).set(m);
      for (let k = 0; k < n; k++) term(k, k === 0);
      flushToF64(f, ap, sy);
      flushToF64(f, ap2, sxy);
      f.addTo(px, 16).addTo(py, 16).addTo(ap, 32).addTo(ap2, 32).addTo(mp, 16);
    });
  };
  f.forRange(q, quads, () => {
    body(4);
    f.get(px).get(rowBytes).i32(3).op(OP.i32Mul).op(OP.i32Add).set(px);
    f.get(py).get(rowBytes).i32(3).op(OP.i32Mul).op(OP.i32Add).set(py);
  });
  f.forRange(q, rest, () => body(1));
  return f;
}

function buildBnGradDx(): FuncBuilder {
  const f = new FuncBuilder('bnGradDx', [I32, I32, I32, I32, I32, I32]);
  const [x, dy, dx, rows, groups, params] = [0, 1, 2, 3, 4, 5];
  const r = f.local(I32);
  const g = f.local(I32);
  const px = f.local(I32);
  const py = f.local(I32);
  const po = f.local(I32);
  const pm = f.local(I32);
  f.get(x).set(px).get(dy).set(py).get(dx).set(po);
  f.forRange(r, rows, () => {
    f.get(params).set(pm);
    f.forRange(g, groups, () => {
      f.get(po);
      f.get(py).simd(SIMD.load, 0).get(pm).simd(SIMD.load, 16).simd(SIMD.f32x4Mul);
      f.get(px).simd(SIMD.load, 0).get(pm).simd(SIMD.load, 0).simd(SIMD.f32x4Sub);
      f.get(pm).simd(SIMD.load, 32).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add);
      f.get(pm).simd(SIMD.load, 48).simd(SIMD.f32x4Add);
      f.simd(SIMD.store, 0);
      f.addTo(px, 16).addTo(py, 16).addTo(po, 16).addTo(pm, 64);
    });
  });
  return f;
}

function buildAdamw(): FuncBuilder {
  const f = new FuncBuilder('adamw', [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [w, g, m, v, wOut, mOut, vOut, quads, consts] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const i = f.local(I32);
  const off = f.local(I32);
  const cv = [0, 1, 2, 3, 4, 5, 6, 7].map(() => f.local(V128));
  const [b1, ob1, b2, ob2, decay, c2, eps, step] = cv as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const gv = f.local(V128);
  const nm = f.local(V128);
  const nv = f.local(V128);
  cv.forEach((local, k) => {
    f.get(consts)
      .mem(OP.f32Load, 4 * k)
      .simd(SIMD.f32x4Splat)
      .set(local);
  });
  f.i32(0).set(off);
  f.forRange(i, quads, () => {
    f.get(g).get(off).op(OP.i32Add).simd(SIMD.load, 0).set(gv);
    // m' = m·β1 + g·(1 − β1)
    f.get(m).get(off).op(OP.i32Add).simd(SIMD.load, 0).get(b1).simd(SIMD.f32x4Mul);
    f.get(gv).get(ob1).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(nm);
    // v' = v·β2 + g²·(1 − β2)
    f.get(v).get(off).op(OP.i32Add).simd(SIMD.load, 0).get(b2).simd(SIMD.f32x4Mul);
    f.get(gv).get(gv).simd(SIMD.f32x4Mul).get(ob2).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(nv);
    f.get(mOut).get(off).op(OP.i32Add).get(nm).simd(SIMD.store, 0);
    f.get(vOut).get(off).op(OP.i32Add).get(nv).simd(SIMD.store, 0);
    // w' = w·decay − (m' / (√v' / c2 + eps))·step
    f.get(wOut).get(off).op(OP.i32Add);
    f.get(w).get(off).op(OP.i32Add).simd(SIMD.load, 0).get(decay).simd(SIMD.f32x4Mul);
    f.get(nm).get(nv).simd(SIMD.f32x4Sqrt).get(c2).simd(SIMD.f32x4Div).get(eps).simd(SIMD.f32x4Add);
    f.simd(SIMD.f32x4Div).get(step).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Sub);
    f.simd(SIMD.store, 0);
    f.addTo(off, 16);
  });
  return f;
}

function buildSumSquares(): FuncBuilder {
  const f = new FuncBuilder('sumSquares', [I32, I32, I32]);
  const [x, quads, acc] = [0, 1, 2];
  const i = f.local(I32);
  const p = f.local(I32);
  const s = f.local(V128);
  f.get(x).set(p);
  f.forRange(i, quads, () => {
    f.get(p).simd(SIMD.load, 0).tee(s).get(s).simd(SIMD.f32x4Mul).set(s);
    flushToF64(f, acc, s);
    f.addTo(p, 16);
  });
  return f;
}

function buildRelu(): FuncBuilder {
  const f = new FuncBuilder('relu', [I32, I32, I32]);
  const [x, out, quads] = [0, 1, 2];
  const i = f.local(I32);
  const px = f.local(I32);
  const po = f.local(I32);
  f.get(x).set(px).get(out).set(po);
  f.forRange(i, quads, () => {
    f.get(po).get(px).simd(SIMD.load, 0).zeroV128().simd(SIMD.f32x4Max).simd(SIMD.store, 0);
    f.addTo(px, 16).addTo(po, 16);
  });
  return f;
}

function buildReluGrad(): FuncBuilder {
  const f = new FuncBuilder('reluGrad', [I32, I32, I32, I32]);
  const [dy, x, out, quads] = [0, 1, 2, 3];
  const i = f.local(I32);
  const off = f.local(I32);
  f.i32(0).set(off);
  f.forRange(i, quads, () => {
    f.get(out).get(off).op(OP.i32Add);
    f.get(dy).get(off).op(OP.i32Add).simd(SIMD.load, 0);
    f.get(x).get(off).op(OP.i32Add).simd(SIMD.load, 0).zeroV128().simd(SIMD.f32x4Gt);
    f.simd(SIMD.and).simd(SIMD.store, 0);
    f.addTo(off, 16);
  });
  return f;
}

function buildCopyRunRows(copyRuns: number): FuncBuilder {
  const f = new FuncBuilder('copyRunRows', [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [src, srcRow, srcStep, dst, dstRow, dstStep, rows, runs, floats] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const r = f.local(I32);
  f.forRange(r, rows, () => {
    f.get(src).get(r).get(srcRow).op(OP.i32Mul).op(OP.i32Add).get(srcStep);
    f.get(dst).get(r).get(dstRow).op(OP.i32Mul).op(OP.i32Add).get(dstStep);
    f.get(runs).get(floats).call(copyRuns);
  });
  return f;
}

function buildTransposeRows(transposeBlock: number): FuncBuilder {
  const f = new FuncBuilder('transposeRows', [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [src, srcRow, srcPixel, pixels, channels, dst, dstRowStride, dstRowStep, rows] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8,
  ];
  const r = f.local(I32);
  f.forRange(r, rows, () => {
    f.get(src).get(r).get(srcRow).op(OP.i32Mul).op(OP.i32Add).get(srcPixel).get(pixels).get(channels);
    f.get(dst).get(r).get(dstRowStep).op(OP.i32Mul).op(OP.i32Add).get(dstRowStride);
    f.call(transposeBlock);
  });
  return f;
}

function buildGemmTN(): FuncBuilder {
  const f = new FuncBuilder('gemmTN', [I32, I32, I32, I32, I32, I32]);
  const [pAddr, dyAddr, rows, kCount, coQuads, accAddr] = [0, 1, 2, 3, 4, 5];
  const r0 = f.local(I32);
  const n = f.local(I32);
  const k = f.local(I32);
  const q = f.local(I32);
  const r = f.local(I32);
  const pp = f.local(I32);
  const dp = f.local(I32);
  const pStride = f.local(I32);
  const dStride = f.local(I32);
  const blocks = f.local(I32);
  const b = f.local(I32);
  const ap = f.local(I32);
  const acc = f.local(V128);
  f.get(kCount).i32(4).op(OP.i32Mul).set(pStride);
  f.get(coQuads).i32(16).op(OP.i32Mul).set(dStride);
  // blocks = ceil(rows / 64)
  f.get(rows).i32(63).op(OP.i32Add).i32(64).op(OP.i32DivS).set(blocks);
  f.forRange(b, blocks, () => {
    f.get(b).i32(64).op(OP.i32Mul).set(r0);
    // n = min(64, rows - r0)
    f.get(rows).get(r0).op(OP.i32Sub).set(n);
    f.op(OP.block, 0x40)
      .get(n)
      .i32(64)
      .op(OP.i32GeS, 0x45 /* i32.eqz */, OP.brIf, 0)
      .i32(64)
      .set(n)
      .op(OP.end);
    f.get(accAddr).set(ap);
    f.forRange(k, kCount, () => {
      f.forRange(q, coQuads, () => {
        f.zeroV128().set(acc);
        f.get(pAddr)
          .get(r0)
          .get(pStride)
          .op(OP.i32Mul)
          .op(OP.i32Add)
          .get(k)
          .i32(4)
          .op(OP.i32Mul)
          .op(OP.i32Add)
          .set(pp);
        f.get(dyAddr)
          .get(r0)
          .get(dStride)
          .op(OP.i32Mul)
          .op(OP.i32Add)
          .get(q)
          .i32(16)
          .op(OP.i32Mul)
          .op(OP.i32Add)
          .set(dp);
        f.forRange(r, n, () => {
          f.get(acc).get(pp).mem(OP.f32Load).simd(SIMD.f32x4Splat).get(dp).simd(SIMD.load, 0);
          f.simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(acc);
          f.addLocal(pp, pStride).addLocal(dp, dStride);
        });
        f.get(ap).get(ap).simd(SIMD.load, 0).get(acc).simd(SIMD.f32x4Add).simd(SIMD.store, 0);
        f.addTo(ap, 16);
      });
    });
  });
  return f;
}

/**
 * The parts of the `WebAssembly` global used here. The package compiles against ES2023 + Node types,
 * which do not declare it (it lives in lib.dom), so it is described locally.
 */
interface WasmMemoryLike {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemoryLike;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Modules by memory kind: unshared (stock build) and shared (threaded build). */
const compiled = new Map<boolean, object | null>();
const instances = new WeakMap<WasmMemoryLike, SimdKernels>();
/** Kernel pools by memory and size (kept when the thread count changes: idle workers sleep). */
const pools = new WeakMap<WasmMemoryLike, Map<number, KernelPool>>();
let enabled = true;

/** The loops of the module, in export order (a task names its function by this index). */
const BUILDERS = [
  buildDwFilterTap,
  buildDwGather,
  buildReduceRows,
  buildTransposeBlock,
  buildAffineChannels,
  buildCopyRuns,
  buildMaxPoolGradRun,
  buildDwGatherImages,
  buildSqDevRows,
  buildBnGradSums,
  buildBnGradDx,
  buildAdamw,
  buildSumSquares,
  buildRelu,
  buildReluGrad,
  () => buildCopyRunRows(5),
  () => buildTransposeRows(3),
  buildGemmTN,
];
const NAMES: readonly (keyof SimdKernels)[] = [
  'dwFilterTap',
  'dwGather',
  'reduceRows',
  'transposeBlock',
  'affineChannels',
  'copyRuns',
  'maxPoolGradRun',
  'dwGatherImages',
  'sqDevRows',
  'bnGradSums',
  'bnGradDx',
  'adamw',
  'sumSquares',
  'relu',
  'reluGrad',
  'copyRunRows',
  'transposeRows',
  'gemmTN',
];

// copyRunRows / transposeRows call copyRuns / transposeBlock by their position in the module.
if (NAMES[5] !== 'copyRuns' || NAMES[3] !== 'transposeBlock') throw new Error('simd-kernels: export order');

/** Assembles and compiles the module once per memory kind; null when the engine lacks wasm SIMD. */
function compile(shared: boolean): object | null {
  const cached = compiled.get(shared);
  if (cached !== undefined) return cached;
  const moduleBytes = encodeModule(
    BUILDERS.map((build) => build()),
    { sharedMemory: shared },
  );
  const mod = wasmApi?.validate(moduleBytes) ? new wasmApi.Module(moduleBytes) : null;
  compiled.set(shared, mod);
  return mod;
}

/**
 * Turns the SIMD loops on or off (they are on by default where supported); the JS loops are used
 * when off. Returns the previous setting.
 */
export function setSimdKernelsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** True for a memory over a SharedArrayBuffer (the threaded build's). */
function isShared(memory: WasmMemoryLike): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * The backend's `WebAssembly.Memory`, if reachable: the stock build exports it as `asm.memory`,
 * the threaded build imports a shared one it keeps as `wasmMemory`.
 */
function backendMemory(backend: WasmBackend): WasmMemoryLike | null {
  const wasm = backend.wasm as { asm?: { memory?: unknown }; wasmMemory?: unknown };
  const memory = wasm.asm?.memory ?? wasm.wasmMemory;
  if (wasmApi == null || !(memory instanceof wasmApi.Memory)) return null;
  // Same heap as the backend's views (not, e.g., a stale module after a backend re-init).
  if (isShared(memory)) return memory === wasm.wasmMemory ? memory : null;
  return memory.buffer === backend.wasm.HEAPU8.buffer ? memory : null;
}

/** The SIMD loops bound to `backend`'s heap, or null when they cannot be used. */
export function simdKernels(backend: WasmBackend): SimdKernels | null {
  if (!enabled || wasmApi == null) return null;
  const memory = backendMemory(backend);
  if (memory == null) return null;
  const cached = instances.get(memory);
  if (cached) return cached;
  const mod = compile(isShared(memory));
  if (mod == null) return null;
  const exports = new wasmApi.Instance(mod, { env: { memory } }).exports as SimdKernels;
  instances.set(memory, exports);
  return exports;
}

/**
 * The worker pool running these loops on `backend`'s shared heap with {@link getKernelThreads}
 * threads in all, or null with one thread, an unshared heap (the stock build) or no SIMD.
 */
export function kernelPool(backend: WasmBackend): KernelPool | null {
  const threads = getKernelThreads();
  if (threads <= 1) return null;
  const simd = simdKernels(backend);
  const memory = simd != null ? backendMemory(backend) : null;
  if (simd == null || memory == null || !isShared(memory)) return null;
  let bySize = pools.get(memory);
  if (bySize == null) {
    bySize = new Map();
    pools.set(memory, bySize);
  }
  const existing = bySize.get(threads - 1);
  if (existing != null) return existing;
  const mod = compile(true) as object;
  const local = NAMES.map((name) => simd[name] as (...args: number[]) => void);
  const pool = new KernelPool(mod, memory, NAMES, local, threads - 1);
  bySize.set(threads - 1, pool);
  return pool;
}

/**
 * Runs SIMD loop `name` once per argument list: spread over the kernel pool's threads when there
 * is one (and `inline` is false: small jobs are not worth waking the workers for), else one after
 * the other on this thread. The calls must write disjoint outputs.
 */
export function runSimdTasks(
  backend: WasmBackend,
  simd: SimdKernels,
  name: keyof SimdKernels,
  tasks: readonly (readonly number[])[],
  inline = false,
): void {
  const pool = tasks.length > 1 && !inline ? kernelPool(backend) : null;
  if (pool != null) {
    pool.run(pool.indexOf(name), tasks);
    return;
  }
  const fn = simd[name] as (...args: number[]) => void;
  for (const args of tasks) fn(...args);
}

/**
 * Floats a memory-bound pass (copies, transposes, element-wise maps) must touch before it is
 * spread over threads. Measured on a 2-vCPU VM: a ReLU pass over 64 Ki floats took 39 µs on one
 * thread and 104 µs on two (the second core has to fetch what sits in the first one's cache), and
 * even at 4 Mi floats two threads only gained 17% (the cores share the memory bandwidth).
 * Compute-heavier loops (depthwise gradients, which reread their inputs once per tap) use
 * {@link MIN_PARALLEL_WORK}.
 */
export const MIN_PARALLEL_FLOATS = 1024 * 1024;

/** Multiply-adds a compute-bound job must do before it is spread over threads. */
export const MIN_PARALLEL_WORK = 256 * 1024;

/** Splits `n` items into at most `parts` contiguous ranges of at least `min` items: [start, count][]. */
export function splitRange(n: number, parts: number, min = 1): [number, number][] {
  const count = Math.max(1, Math.min(parts, Math.floor(n / Math.max(1, min))));
  const ranges: [number, number][] = [];
  for (let k = 0; k < count; k++) {
    const start = Math.floor((n * k) / count);
    const end = Math.floor((n * (k + 1)) / count);
    if (end > start) ranges.push([start, end - start]);
  }
  return ranges;
}

/** Heap byte address of a tensor's data. */
export function heapAddress(backend: WasmBackend, dataId: object): number {
  const data = backend.dataIdMap.get(dataId);
  if (data == null) throw new Error('wasm training kernels: tensor is not on the wasm backend');
  return data.memoryOffset;
}
