import type { RocCurve } from '../evaluate/metrics.js';
import { type Rgba, RgbaCanvas } from './rgba-canvas.js';

/** One class's one-vs-rest ROC curve (core's `EvaluateOutput['roc']` entries). */
export interface LabeledRocCurve extends RocCurve {
  /** Class label. */
  label: string;
  /** Area under the curve. */
  auc: number;
}

/** matplotlib's tab10, so colours match what users know from the Python reports. */
const PALETTE: readonly Rgba[] = [
  [31, 119, 180, 255],
  [255, 127, 14, 255],
  [44, 160, 44, 255],
  [214, 39, 40, 255],
  [148, 103, 189, 255],
  [140, 86, 75, 255],
  [227, 119, 194, 255],
  [127, 127, 127, 255],
  [188, 189, 34, 255],
  [23, 190, 207, 255],
];
const PALETTE_NAMES = ['blue', 'orange', 'green', 'red', 'purple', 'brown', 'pink', 'gray', 'olive', 'cyan'];

const SIZE = 360;
const MARGIN = 24;
const AXIS: Rgba = [0, 0, 0, 255];
const CHANCE: Rgba = [190, 190, 190, 255];

/** A rendered ROC plot and a caption telling which colour is which class. */
export interface RocPlot {
  /** PNG bytes. */
  png: Uint8Array;
  /** `label (colour) AUC 0.981; …`, the legend the picture cannot hold without a font. */
  caption: string;
}

/**
 * One-vs-rest ROC curves as a line plot PNG: false positive rate on x, true positive rate on y,
 * unit square framed by axes, chance diagonal dotted in gray, one colour per class (tab10,
 * repeating after 10 classes).
 */
export function renderRocPlot(curves: readonly LabeledRocCurve[]): RocPlot {
  const canvas = new RgbaCanvas(SIZE, SIZE);
  const span = SIZE - 2 * MARGIN;
  const px = (fpr: number): number => MARGIN + fpr * span;
  const py = (tpr: number): number => SIZE - MARGIN - tpr * span;
  for (let i = 0; i <= span; i += 4) canvas.setPixel(px(i / span), py(i / span), CHANCE);
  canvas.line(px(0), py(0), px(1), py(0), AXIS);
  canvas.line(px(0), py(0), px(0), py(1), AXIS);
  canvas.line(px(1), py(0), px(1), py(1), CHANCE);
  canvas.line(px(0), py(1), px(1), py(1), CHANCE);
  const legend: string[] = [];
  curves.forEach((curve, k) => {
    const color = PALETTE[k % PALETTE.length] as Rgba;
    const points = Math.min(curve.fpr.length, curve.tpr.length);
    for (let i = 1; i < points; i++) {
      canvas.line(
        px(curve.fpr[i - 1] as number),
        py(curve.tpr[i - 1] as number),
        px(curve.fpr[i] as number),
        py(curve.tpr[i] as number),
        color,
        2,
      );
    }
    legend.push(`${curve.label} (${PALETTE_NAMES[k % PALETTE.length]}) AUC ${curve.auc.toFixed(3)}`);
  });
  return { png: canvas.toPng(), caption: legend.join('; ') };
}
