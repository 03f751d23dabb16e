/**
 * The hand-assembled wasm SIMD loops, each against a plain JS reference on a standalone memory,
 * over sizes that exercise the SIMD bodies and the scalar / remainder paths.
 */
import { describe, expect, it } from 'vitest';
import { type SimdKernels, simdKernels } from '../../src/backend/wasm-kernels/simd-kernels.js';
import type { WasmBackend } from '../../src/backend/wasm-kernels/wasm-backend.js';
import { randomData } from './helpers.js';

interface MemoryLike {
  buffer: ArrayBuffer;
}
const { Memory } = (
  globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => MemoryLike } }
).WebAssembly;

/** A 4 MiB memory, the SIMD loops bound to it, and views. */
function setup(): { k: SimdKernels; f32: Float32Array; i32: Int32Array; f64: Float64Array } {
  const memory = new Memory({ initial: 64 });
  const backend = {
    wasm: { HEAPU8: new Uint8Array(memory.buffer), asm: { memory } },
    dataIdMap: { get: () => undefined },
  } as unknown as WasmBackend;
  const k = simdKernels(backend);
  if (k == null) throw new Error('wasm SIMD unavailable');
  return {
    k,
    f32: new Float32Array(memory.buffer),
    i32: new Int32Array(memory.buffer),
    f64: new Float64Array(memory.buffer),
  };
}

const close = (a: number, b: number, tol = 1e-5): boolean =>
  Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

describe('wasm SIMD loops', () => {
  it('reduceRows adds rows into float64 accumulators (any row count)', () => {
    const { k, f32, f64 } = setup();
    for (const [rows, groups] of [
      [7, 3],
      [8, 1],
      [1, 5],
      [13, 8],
    ] as const) {
      const x = randomData(rows * groups * 4, rows + groups);
      f32.set(x, 0);
      const acc = 1 << 18; // byte address, 8-aligned
      f64.fill(0.5, acc / 8, acc / 8 + groups * 4);
      k.reduceRows(0, rows, groups, acc);
      for (let i = 0; i < groups * 4; i++) {
        let s = 0.5;
        for (let r = 0; r < rows; r++) s += x[r * groups * 4 + i]!;
        expect(close(f64[acc / 8 + i]!, s), `rows ${rows} groups ${groups} col ${i}`).toBe(true);
      }
    }
  });

  it('transposeBlock transposes strided pixel-major blocks (with tails)', () => {
    const { k, f32 } = setup();
    for (const [pixels, channels, stride, rowStride] of [
      [6, 7, 9, 10],
      [8, 8, 8, 8],
      [3, 2, 5, 4],
      [17, 12, 24, 20],
    ] as const) {
      f32.set(randomData(pixels * stride, pixels), 0);
      const dst = 1 << 16;
      f32.fill(-7, dst / 4, dst / 4 + channels * rowStride);
      k.transposeBlock(0, 4 * stride, pixels, channels, dst, 4 * rowStride);
      for (let c = 0; c < channels; c++) {
        for (let p = 0; p < pixels; p++) expect(f32[dst / 4 + c * rowStride + p]).toBe(f32[p * stride + c]);
        // Nothing written past the block.
        for (let p = pixels; p < rowStride; p++) expect(f32[dst / 4 + c * rowStride + p]).toBe(-7);
      }
    }
  });

  it('dwFilterTap sums x * dy over listed runs per 8-channel block', () => {
    const { k, f32, i32 } = setup();
    const C = 24;
    f32.set(randomData(4000, 1), 0);
    f32.set(randomData(4000, 2), 4000);
    const runs: [number, number][] = [
      [0, 4000],
      [300, 4100],
      [777, 4555],
    ];
    const list = 1 << 16;
    runs.forEach(([x, y], r) => {
      i32[list / 4 + 2 * r] = 4 * x;
      i32[list / 4 + 2 * r + 1] = 4 * y;
    });
    const out = 1 << 17;
    k.dwFilterTap(list, runs.length, 4, 4 * 2 * C, 4 * C, C / 8, out);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (const [x, y] of runs)
        for (let j = 0; j < 4; j++) s += f32[x + j * 2 * C + c]! * f32[y + j * C + c]!;
      expect(close(f32[out / 4 + c]!, s, 1e-5)).toBe(true);
    }
  });

  it('dwGather sums dy * w over each pixel tap list', () => {
    const { k, f32, i32 } = setup();
    const C = 16;
    f32.set(randomData(4000, 3), 0);
    const pixels: { out: number; taps: [number, number][] }[] = [
      {
        out: 20000,
        taps: [
          [0, 100],
          [40, 300],
          [90, 50],
        ],
      },
      { out: 20000 + C, taps: [] },
      { out: 20000 + 2 * C, taps: [[1000, 2000]] },
    ];
    let l = (1 << 16) / 4;
    for (const p of pixels) {
      i32[l++] = 4 * p.out;
      i32[l++] = p.taps.length;
      for (const [a, b] of p.taps) {
        i32[l++] = 4 * a;
        i32[l++] = 4 * b;
      }
    }
    k.dwGather(1 << 16, pixels.length, C / 8);
    for (const p of pixels) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (const [a, b] of p.taps) s += f32[a + c]! * f32[b + c]!;
        expect(close(f32[p.out + c]!, s)).toBe(true);
      }
    }
  });

  it('affineChannels computes (x - m) * a + o per channel group', () => {
    const { k, f32 } = setup();
    const pixels = 5;
    const groups = 3;
    f32.set(randomData(pixels * groups * 4, 4), 0);
    const params = randomData(groups * 12, 5);
    f32.set(params, 1000);
    k.affineChannels(0, 8000, pixels, groups, 4000);
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < groups * 4; c++) {
        const base = (c >> 2) * 12 + (c & 3);
        const want = Math.fround(
          Math.fround(Math.fround(f32[p * groups * 4 + c]! - params[base]!) * params[base + 4]!) +
            params[base + 8]!,
        );
        expect(f32[2000 + p * groups * 4 + c]).toBe(want);
      }
    }
  });

  it('copyRuns copies strided runs, including non-multiple-of-4 lengths', () => {
    const { k, f32 } = setup();
    for (const floats of [8, 7, 3, 32]) {
      f32.set(randomData(1000, floats), 0);
      f32.fill(0, 5000, 7000);
      k.copyRuns(0, 4 * (floats + 5), 20000, 4 * (floats * 2), 6, floats);
      for (let r = 0; r < 6; r++) {
        for (let i = 0; i < floats; i++)
          expect(f32[5000 + r * floats * 2 + i]).toBe(f32[r * (floats + 5) + i]);
        for (let i = floats; i < floats * 2; i++) expect(f32[5000 + r * floats * 2 + i]).toBe(0);
      }
    }
  });
});
