/** A value axis with round tick values covering the data. */
export interface NiceAxis {
  /** Lower end (the first tick). */
  min: number;
  /** Upper end (the last tick). */
  max: number;
  /** Distance between ticks. */
  step: number;
  /** Tick values from `min` to `max`. */
  ticks: number[];
}

/** Options of {@link niceAxis}. */
export interface NiceAxisOptions {
  /** Most ticks wanted (about). Default 6. */
  maxTicks?: number;
  /** Ticks on whole numbers only (epochs, steps). */
  integer?: boolean;
}

/**
 * An axis over `[min, max]` with ticks at 1, 2 or 5 × 10^k (the "nice numbers" method), so tick
 * labels read 0.2, 0.4, 0.6 rather than 0.173, 0.346.
 */
export function niceAxis(min: number, max: number, options: NiceAxisOptions = {}): NiceAxis {
  const maxTicks = Math.max(2, options.maxTicks ?? 6);
  if (!Number.isFinite(min) || !Number.isFinite(max)) return niceAxis(0, 1, options);
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    // A flat series still needs a visible range around its value.
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const range = niceNumber(max - min, false);
  let step = niceNumber(range / (maxTicks - 1), true);
  if (options.integer && step < 1) step = 1;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step / 2; i++) ticks.push(roundFloat(lo + i * step));
  return { min: roundFloat(lo), max: roundFloat(hi), step, ticks };
}

/** A function mapping `[d0, d1]` linearly onto `[r0, r1]`. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (value: number) => number {
  const span = d1 - d0 || 1;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** Label of a tick of `axis`: fixed decimals matching the step, or `1.5e-4` for tiny/huge axes. */
export function formatTick(value: number, axis: NiceAxis): string {
  if (value === 0) return '0';
  const magnitude = Math.max(Math.abs(axis.min), Math.abs(axis.max));
  if (magnitude >= 1e5 || magnitude < 1e-2) return Number(value.toPrecision(3)).toExponential();
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(axis.step))));
  return value.toFixed(decimals);
}

/** A coordinate as short text (two decimals at most) to keep the SVG small. */
export function coord(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function niceNumber(range: number, round: boolean): number {
  const exponent = Math.floor(Math.log10(range));
  const fraction = range / 10 ** exponent;
  let nice: number;
  if (round) nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  else nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * 10 ** exponent;
}

/** Removes binary noise such as 0.30000000000000004 from computed tick values. */
function roundFloat(value: number): number {
  return Number(value.toPrecision(12));
}
