/**
 * Runs an input gradient (transposed convolution, NHWC) as stride-1 XNNPACK convolutions, one per
 * stride phase (see `phase-plan.ts`), and interleaves their outputs into `dx`.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { AxisPhase } from './phase-plan.js';
import { heapAddress, MIN_PARALLEL_FLOATS, runSimdTasks, simdKernels } from './simd-kernels.js';
import { heapF32, runWasmKernel, TempTensors, type WasmBackend } from './wasm-backend.js';

/** Which forward kernel the phases run through, and how to build their filters. */
export interface PhaseConvSpec {
  /** `'Conv2D'` (full conv) or `'DepthwiseConv2dNative'` (channel multiplier 1). */
  kernel: 'Conv2D' | 'DepthwiseConv2dNative';
  /** Shape of the stride-1 filter for a phase with the given numbers of row / column taps. */
  filterShape(rowTaps: number, colTaps: number): number[];
  /** Writes the stride-1 filter of a phase into `dst` (a view of a freshly allocated tensor). */
  fillFilter(rowTaps: readonly number[], colTaps: readonly number[], dst: Float32Array): void;
}

/**
 * Computes `dx` of shape `[batch, inH, inW, channels]` from `dy` by phase decomposition.
 * `rows` / `cols` come from `planAxisPhases`. Returns a new tensor owned by the caller.
 */
export function transposedConvByPhases(
  backend: WasmBackend,
  dy: TensorInfo,
  dxShape: [number, number, number, number],
  rows: AxisPhase[],
  cols: AxisPhase[],
  spec: PhaseConvSpec,
): TensorInfo {
  const temps = new TempTensors(backend);
  try {
    const [batch, inH, inW, channels] = dxShape;
    const [r0, c0] = [rows[0], cols[0]];
    if (rows.length === 1 && cols.length === 1 && r0 && c0 && coversAxis(r0) && coversAxis(c0)) {
      // Stride 1: the one conv output is already laid out as dx.
      return runPhaseConv(backend, temps, dy, r0, c0, spec);
    }
    const dx = temps.alloc(dxShape);
    for (const rp of rows) {
      for (const cp of cols) {
        if (rp.taps.length === 0 || cp.taps.length === 0) {
          // No filter tap reaches these rows/columns (kernel smaller than stride): zero gradient.
          zeroPhase(heapF32(backend, dx), [batch, inH, inW, channels], rp, cp);
          continue;
        }
        const out = temps.keep(runPhaseConv(backend, temps, dy, rp, cp, spec));
        copyPhase(backend, out, dx, [batch, inH, inW, channels], rp, cp);
        temps.release(out);
        backend.disposeData(out.dataId);
      }
    }
    return temps.release(dx);
  } finally {
    temps.disposeAll();
  }
}

/** Interleaves one phase's conv output into dx, one (image, row) of pixels at a time. */
function copyPhase(
  backend: WasmBackend,
  out: TensorInfo,
  dx: TensorInfo,
  [batch, inH, inW, channels]: [number, number, number, number],
  rp: AxisPhase,
  cp: AxisPhase,
): void {
  const simd = simdKernels(backend);
  const outAddr = heapAddress(backend, out.dataId);
  const dxAddr = heapAddress(backend, dx.dataId);
  const dxv = heapF32(backend, dx);
  const ov = heapF32(backend, out);
  const dStep = cp.step * channels;
  if (simd != null) {
    // One task per image: its rows of this phase, each a strided run of pixels.
    const tasks: number[][] = [];
    for (let b = 0; b < batch; b++) {
      const src = ((b * rp.outSize + rp.skip) * cp.outSize + cp.skip) * channels;
      const d = ((b * inH + rp.first) * inW + cp.first) * channels;
      tasks.push([
        outAddr + 4 * src,
        4 * cp.outSize * channels,
        4 * channels,
        dxAddr + 4 * d,
        4 * rp.step * inW * channels,
        4 * dStep,
        rp.count,
        cp.count,
        channels,
      ]);
    }
    runSimdTasks(
      backend,
      simd,
      'copyRunRows',
      tasks,
      batch * rp.count * cp.count * channels < MIN_PARALLEL_FLOATS,
    );
    return;
  }
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rp.count; i++) {
      let src = ((b * rp.outSize + rp.skip + i) * cp.outSize + cp.skip) * channels;
      let d = ((b * inH + rp.first + i * rp.step) * inW + cp.first) * channels;
      for (let j = 0; j < cp.count; j++, src += channels, d += dStep) {
        for (let c = 0; c < channels; c++) dxv[d + c] = ov[src + c]!;
      }
    }
  }
}

/** True when a phase's conv output rows are exactly the dx rows, in order (stride 1). */
function coversAxis(p: AxisPhase): boolean {
  return p.taps.length > 0 && p.skip === 0 && p.outSize === p.count && p.first === 0 && p.step === 1;
}

/** Zeroes the dx pixels owned by phases `rp` x `cp`. */
function zeroPhase(
  dx: Float32Array,
  [batch, inH, inW, channels]: [number, number, number, number],
  rp: AxisPhase,
  cp: AxisPhase,
): void {
  const dStep = cp.step * channels;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rp.count; i++) {
      let d = ((b * inH + rp.first + i * rp.step) * inW + cp.first) * channels;
      for (let j = 0; j < cp.count; j++, d += dStep) dx.fill(0, d, d + channels);
    }
  }
}

/** Builds the phase filter and runs one stride-1 conv of `dy` through the wasm backend. */
function runPhaseConv(
  backend: WasmBackend,
  temps: TempTensors,
  dy: TensorInfo,
  rp: AxisPhase,
  cp: AxisPhase,
  spec: PhaseConvSpec,
): TensorInfo {
  const filter = temps.alloc(spec.filterShape(rp.taps.length, cp.taps.length));
  spec.fillFilter(rp.taps, cp.taps, heapF32(backend, filter));
  const pad = [
    [0, 0],
    [rp.padBefore, rp.padAfter],
    [cp.padBefore, cp.padAfter],
    [0, 0],
  ];
  const attrs = { strides: [1, 1], pad, dilations: [rp.dilation, cp.dilation] };
  const out =
    spec.kernel === 'Conv2D'
      ? runWasmKernel('Conv2D', { x: dy, filter }, { ...attrs, dataFormat: 'NHWC' }, backend)
      : runWasmKernel('DepthwiseConv2dNative', { x: dy, filter }, attrs, backend);
  // The filter's XNNPACK operator is freed with it; it is never reused (a new id per call).
  temps.release(filter);
  backend.disposeData(filter.dataId);
  return out;
}
