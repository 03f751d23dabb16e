/**
 * Geometry for computing an input gradient (a transposed convolution) as a few ordinary stride-1
 * convolutions, so that the wasm backend's XNNPACK `Conv2D` / `DepthwiseConv2dNative` kernels do
 * the arithmetic instead of a scalar loop.
 *
 * Along one spatial axis, the forward conv reads input row `i = o*s + k*d - pad` for output row `o`
 * and filter tap `k`. Input rows fall into `s` "phases" `r` (with `(i + pad) % s == r` when d == 1);
 * the rows of one phase only receive gradient from taps `k ≡ r (mod s)`, and as a function of
 * `q = (i + pad - r) / s` that gradient is a stride-1 correlation of `dy` with those taps in reverse
 * order. So `dx` = `s_h * s_w` small stride-1 convolutions whose outputs are interleaved.
 * With s == 1 there is a single phase and the result is `dx` itself (the classic "full
 * convolution with the flipped kernel"), including dilation.
 */

/** How to compute one phase of the input gradient along one axis. */
export interface AxisPhase {
  /** Filter taps used, in the order of the stride-1 conv's taps (reversed original order). */
  taps: number[];
  /** Dilation of the stride-1 conv (the forward dilation when stride is 1, else 1). */
  dilation: number;
  /** Leading zero padding of `dy` for the stride-1 conv (never negative). */
  padBefore: number;
  /** Trailing zero padding of `dy` for the stride-1 conv (never negative). */
  padAfter: number;
  /** Number of rows the stride-1 conv produces (>= `skip + count`). */
  outSize: number;
  /** Leading rows of the conv output that belong to no `dx` row and are skipped. */
  skip: number;
  /** Number of `dx` rows in this phase. */
  count: number;
  /** `dx` row of the phase's first row (`skip`); consecutive rows are `step` apart. */
  first: number;
  /** Distance between consecutive `dx` rows of this phase (the forward stride). */
  step: number;
}

/**
 * Splits one axis of a transposed convolution into stride-1 phases.
 *
 * @param inSize forward input size along the axis (rows of `dx`)
 * @param outSize forward output size (rows of `dy`)
 * @param kernel filter size along the axis
 * @param stride forward stride
 * @param dilation forward dilation (tfjs requires stride or dilation to be 1)
 * @param padBefore forward leading padding
 * @returns the phases that own at least one `dx` row; rows of phases without taps must be zero and
 *   are returned with an empty `taps` list.
 */
export function planAxisPhases(
  inSize: number,
  outSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  padBefore: number,
): AxisPhase[] {
  if (stride > 1 && dilation > 1) throw new Error('transposed conv: stride and dilation cannot both be > 1');
  const phases: AxisPhase[] = [];
  for (let r = 0; r < stride; r++) {
    // dx rows of this phase: i = q*stride + r - padBefore for q in [qLo, qHi].
    const qLo = Math.ceil((padBefore - r) / stride);
    const qHi = Math.floor((inSize - 1 + padBefore - r) / stride);
    const count = qHi - qLo + 1;
    if (count <= 0) continue;
    const first = qLo * stride + r - padBefore;
    const nTaps = r < kernel ? Math.ceil((kernel - r) / stride) : 0;
    if (nTaps === 0) {
      phases.push({
        taps: [],
        dilation: 1,
        padBefore: 0,
        padAfter: 0,
        outSize: 0,
        skip: 0,
        count,
        first,
        step: stride,
      });
      continue;
    }
    // Tap j of the stride-1 conv is original tap r + stride*(nTaps-1-j); its dy row for conv output
    // row o is o - pad + j*dilation, which must equal q - (nTaps-1-j)*dilation (s>1 implies d=1).
    const span = (nTaps - 1) * dilation;
    const taps: number[] = [];
    for (let j = 0; j < nTaps; j++) taps.push(r + stride * (nTaps - 1 - j));
    const pad = span - qLo;
    const skip = Math.max(0, -pad);
    const before = pad + skip;
    const after = Math.max(0, skip + count - outSize - before + span);
    phases.push({
      taps,
      dilation,
      padBefore: before,
      padAfter: after,
      outSize: outSize + before + after - span,
      skip,
      count,
      first,
      step: stride,
    });
  }
  return phases;
}
