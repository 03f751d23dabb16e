/**
 * Colors of the report. Series use the Okabe–Ito palette, which stays distinguishable with the
 * common kinds of color blindness; its yellow is left out because it is unreadable on white.
 * Past seven series the colors repeat with a different dash pattern, so lines stay apart.
 */
export const SERIES_COLORS: readonly string[] = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#3D3D3D', // near black
];

/** Stroke dash patterns, one per round through {@link SERIES_COLORS}. */
export const DASH_PATTERNS: readonly string[] = ['', '6 3', '2 2', '8 3 2 3'];

/** Color and dash pattern of one series. */
export interface SeriesStyle {
  /** Stroke color. */
  color: string;
  /** `stroke-dasharray` value; empty for a solid line. */
  dash: string;
}

/** The style of the `index`-th series. */
export function seriesStyle(index: number): SeriesStyle {
  const i = Math.max(0, Math.floor(index));
  return {
    color: SERIES_COLORS[i % SERIES_COLORS.length]!,
    dash: DASH_PATTERNS[Math.floor(i / SERIES_COLORS.length) % DASH_PATTERNS.length]!,
  };
}

/** Stops of a single-hue blue ramp (ColorBrewer "Blues"): ordered by lightness for any vision. */
const BLUES: readonly (readonly [number, number, number])[] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

/** Color of `t` in [0, 1] on the blue ramp (0 = near white, 1 = dark blue). */
export function sequentialBlue(t: number): string {
  const clamped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const position = clamped * (BLUES.length - 1);
  const lower = Math.min(BLUES.length - 2, Math.floor(position));
  const f = position - lower;
  const a = BLUES[lower]!;
  const b = BLUES[lower + 1]!;
  const channel = (i: 0 | 1 | 2) => Math.round(a[i] + (b[i] - a[i]) * f);
  return `rgb(${channel(0)},${channel(1)},${channel(2)})`;
}

/** Text color readable on a {@link sequentialBlue} cell of value `t`. */
export function textOnBlue(t: number): string {
  return t > 0.55 ? '#ffffff' : '#1a1a1a';
}

/** Axis, grid and text colors. */
export const CHART_COLORS = {
  axis: '#555555',
  grid: '#e6e6e6',
  text: '#222222',
  muted: '#666666',
} as const;
