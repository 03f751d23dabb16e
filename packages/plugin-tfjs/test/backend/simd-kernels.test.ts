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
  it('dwGatherImages repeats the image-0 list for a range of images', () => {
    const { k, f32, i32 } = setup();
    const C = 8;
    f32.set(randomData(6000, 7), 0);
    f32.fill(0, 20000, 22000);
    // One pixel: out at 20000, two taps (dy at 0 / 16, w at 3000 / 3008).
    let l = (1 << 16) / 4;
    i32[l++] = 4 * 20000;
    i32[l++] = 2;
    for (const [a, b] of [
      [0, 3000],
      [16, 3008],
    ]) {
      i32[l++] = 4 * a!;
      i32[l++] = 4 * b!;
    }
    const dyImage = 4 * 100;
    const outImage = 4 * 50;
    k.dwGatherImages(1 << 16, 1, C / 8, 1, 3, dyImage, outImage);
    for (let img = 0; img < 4; img++) {
      for (let c = 0; c < C; c++) {
        const want =
          img === 0 ? 0 : f32[img * 100 + c]! * f32[3000 + c]! + f32[img * 100 + 16 + c]! * f32[3008 + c]!;
        expect(close(f32[20000 + img * 50 + c]!, want), `image ${img} channel ${c}`).toBe(true);
      }
    }
  });

  it('sqDevRows, bnGradSums and bnGradDx compute the batch-norm passes', () => {
    const { k, f32, f64 } = setup();
    const rows = 11;
    const groups = 3;
    const C = groups * 4;
    const x = randomData(rows * C, 8);
    const dy = randomData(rows * C, 9);
    const mean = randomData(C, 10);
    f32.set(x, 0);
    f32.set(dy, 1000);
    f32.set(mean, 2000);
    const acc = 1 << 18;
    f64.fill(0, acc / 8, acc / 8 + 3 * C);
    k.sqDevRows(0, rows, groups, 8000, acc);
    k.bnGradSums(0, 4000, rows, groups, 8000, acc + 8 * C);
    for (let c = 0; c < C; c++) {
      let sq = 0;
      let sy = 0;
      let sxy = 0;
      for (let r = 0; r < rows; r++) {
        const d = x[r * C + c]! - mean[c]!;
        sq += d * d;
        sy += dy[r * C + c]!;
        sxy += dy[r * C + c]! * d;
      }
      expect(close(f64[acc / 8 + c]!, sq), `sq ${c}`).toBe(true);
      expect(close(f64[acc / 8 + C + c]!, sy), `Σdy ${c}`).toBe(true);
      expect(close(f64[acc / 8 + 2 * C + c]!, sxy), `Σdy·(x-m) ${c}`).toBe(true);
    }
    const params = randomData(groups * 16, 11);
    f32.set(params, 3000);
    k.bnGradDx(0, 4000, 16000, rows, groups, 12000);
    const f = Math.fround;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < C; c++) {
        const b = (c >> 2) * 16 + (c & 3);
        const i = r * C + c;
        const want = f(
          f(f(dy[i]! * params[b + 4]!) + f(f(x[i]! - params[b]!) * params[b + 8]!)) + params[b + 12]!,
        );
        expect(f32[4000 + i]).toBe(want);
      }
    }
  });

  it('adamw, sumSquares, relu and reluGrad', () => {
    const { k, f32, f64 } = setup();
    const n = 12;
    const w = randomData(n, 12);
    const g = randomData(n, 13);
    const m = randomData(n, 14);
    const v = randomData(n, 15).map(Math.abs);
    const c = Float32Array.from([0.9, 0.1, 0.999, 0.001, 0.99, 0.3, 1e-8, 0.01]);
    for (const [arr, at] of [
      [w, 0],
      [g, 100],
      [m, 200],
      [v, 300],
      [c, 400],
    ] as const)
      f32.set(arr, at);
    k.adamw(0, 400, 800, 1200, 2000, 2400, 2800, n / 4, 1600);
    const f = Math.fround;
    for (let i = 0; i < n; i++) {
      const nm = f(f(m[i]! * c[0]!) + f(g[i]! * c[1]!));
      const nv = f(f(v[i]! * c[2]!) + f(f(g[i]! * g[i]!) * c[3]!));
      const den = f(f(f(Math.sqrt(nv)) / c[5]!) + c[6]!);
      expect(f32[600 + i]).toBe(nm);
      expect(f32[700 + i]).toBe(nv);
      expect(f32[500 + i]).toBe(f(f(w[i]! * c[4]!) - f(f(nm / den) * c[7]!)));
    }
    const acc = 1 << 18;
    f64.fill(0, acc / 8, acc / 8 + 4);
    k.sumSquares(0, n / 4, acc);
    let sum = 0;
    for (let i = 0; i < 4; i++) sum += f64[acc / 8 + i]!;
    expect(
      close(
        sum,
        w.reduce((s, x) => s + x * x, 0),
      ),
    ).toBe(true);
    k.relu(0, 4000, n / 4);
    k.reluGrad(400, 0, 5000, n / 4);
    for (let i = 0; i < n; i++) {
      expect(f32[1000 + i]).toBe(Math.max(w[i]!, 0));
      expect(f32[1250 + i]).toBe(w[i]! > 0 ? g[i]! : 0);
    }
  });

  it('copyRunRows and transposeRows repeat copyRuns / transposeBlock row by row', () => {
    const { k, f32 } = setup();
    f32.set(randomData(4000, 16), 0);
    f32.fill(0, 5000, 9000);
    // 3 rows of 4 runs of 5 floats; rows 200 floats apart in the source, 100 in the target.
    k.copyRunRows(0, 800, 4 * 7, 20000, 400, 4 * 6, 3, 4, 5);
    for (let r = 0; r < 3; r++)
      for (let j = 0; j < 4; j++)
        for (let i = 0; i < 5; i++) expect(f32[5000 + r * 100 + j * 6 + i]).toBe(f32[r * 200 + j * 7 + i]);
    // 2 rows of a 6-pixel x 5-channel block (pixel stride 8 floats), rows 300 floats apart; the
    // transposed rows (5 channel rows, 40 floats apart) of row r start 6r floats further on.
    k.transposeRows(0, 1200, 32, 6, 5, 28000, 160, 24, 2);
    for (let r = 0; r < 2; r++)
      for (let p = 0; p < 6; p++)
        for (let ch = 0; ch < 5; ch++)
          expect(f32[7000 + r * 6 + ch * 40 + p]).toBe(f32[r * 300 + p * 8 + ch]);
  });

  it('compiles for a shared memory (the threaded build) as well', () => {
    const SharedMemory = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => MemoryLike } })
      .WebAssembly.Memory;
    const memory = new SharedMemory({ initial: 16, maximum: 64, shared: true });
    const backend = {
      wasm: { HEAPU8: new Uint8Array(memory.buffer), wasmMemory: memory },
      dataIdMap: { get: () => undefined },
    } as unknown as WasmBackend;
    const k = simdKernels(backend);
    expect(k).not.toBeNull();
    const f32 = new Float32Array(memory.buffer);
    f32.set([-1, 2, -3, 4], 0);
    k!.relu(0, 64, 1);
    expect(Array.from(f32.subarray(16, 20))).toEqual([0, 2, 0, 4]);
  });
});
