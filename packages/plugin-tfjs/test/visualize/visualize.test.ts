import { describe, expect, it } from 'vitest';
import { isPng } from '../../src/data/png/png-chunks.js';
import { decodePng } from '../../src/data/png/png-decode.js';
import { logEvaluationImages } from '../../src/engine/evaluation-images.js';
import { renderConfusionHeatmap } from '../../src/visualize/confusion-heatmap.js';
import { RgbaCanvas } from '../../src/visualize/rgba-canvas.js';
import { renderRocPlot } from '../../src/visualize/roc-plot.js';
import { renderSampleGrid } from '../../src/visualize/sample-grid.js';
import { RecordingTracker } from '../engine/recording-tracker.js';

/** RGBA of pixel (x, y) of a decoded RGBA PNG. */
function pixel(png: Uint8Array, x: number, y: number): number[] {
  const image = decodePng(png);
  const at = (y * image.width + x) * image.channels;
  return Array.from(image.data.subarray(at, at + image.channels));
}

describe('pictures for trackers', () => {
  it('RgbaCanvas clips drawing to its bounds and encodes a PNG of its size', () => {
    const canvas = new RgbaCanvas(5, 4);
    canvas.fillRect(-3, -3, 5, 5, [255, 0, 0, 255]);
    canvas.line(0, 3, 10, 3, [0, 0, 255, 255]);
    const png = canvas.toPng();
    expect(decodePng(png)).toMatchObject({ width: 5, height: 4, channels: 4 });
    expect(pixel(png, 1, 1)).toEqual([255, 0, 0, 255]);
    expect(pixel(png, 2, 2)).toEqual([255, 255, 255, 255]);
    expect(pixel(png, 4, 3)).toEqual([0, 0, 255, 255]);
  });

  it('tiles samples 8 per row, rescaled to the batch range, labels in the caption', () => {
    // 10 images of 2×2×3; image i is uniformly i (so 0 → black, 9 → white).
    const x = new Float32Array(10 * 12).map((_, k) => Math.floor(k / 12));
    const y = Int32Array.from({ length: 10 }, (_, i) => i % 2);
    const grid = renderSampleGrid(
      { x, y, n: 10, shape: { height: 2, width: 2, channels: 3 } },
      { classes: ['cat', 'dog'] },
    );
    expect(grid.count).toBe(10);
    expect(grid.caption).toBe('row 1: cat, dog, cat, dog, cat, dog, cat, dog; row 2: cat, dog');
    const zoom = 28; // 2-pixel tiles enlarged to 56
    expect(decodePng(grid.png)).toMatchObject({
      width: 8 * (2 * zoom + 2) + 2,
      height: 2 * (2 * zoom + 2) + 2,
    });
    expect(pixel(grid.png, 2, 2)).toEqual([0, 0, 0, 255]);
    const ninth = 2 + 2 * zoom + 2 + 2; // second row's second tile starts here
    expect(pixel(grid.png, ninth, ninth)).toEqual([255, 255, 255, 255]);
  });

  it('draws a row-normalized confusion heatmap: the diagonal darkest', () => {
    const png = renderConfusionHeatmap([
      [9, 1],
      [0, 5],
    ]);
    const image = decodePng(png);
    expect(image.width).toBe(2 * 40 + 1);
    const [r00] = pixel(png, 20, 20);
    const [r01] = pixel(png, 60, 20);
    const [r10] = pixel(png, 20, 60);
    expect(r00).toBeLessThan(r01 as number);
    expect(r10).toBe(247); // 0% → white end of the palette
    expect(() => renderConfusionHeatmap([[1, 2]])).toThrow(/square/);
  });

  it('plots ROC curves and names their colours and AUCs in the caption', () => {
    const plot = renderRocPlot([
      { label: 'a', auc: 1, fpr: [0, 0, 1], tpr: [0, 1, 1] },
      { label: 'b', auc: 0.5, fpr: [0, 1], tpr: [0, 1] },
    ]);
    expect(plot.caption).toBe('a (blue) AUC 1.000; b (orange) AUC 0.500');
    // Curve a runs up the left axis (x = 24), drawn 2 px wide in blue over the black axis.
    expect(pixel(plot.png, 24, 100)).toEqual([31, 119, 180, 255]);
    // Curve b is the diagonal: its middle pixel is orange.
    expect(pixel(plot.png, 180, 180)).toEqual([255, 127, 14, 255]);
  });

  it('logEvaluationImages sends the confusion matrix and ROC as PNGs', () => {
    const tracker = new RecordingTracker();
    logEvaluationImages(tracker, {
      split: 'test',
      classes: ['a', 'b'],
      confusionMatrix: [
        [3, 1],
        [0, 4],
      ],
      roc: [
        { label: 'a', auc: 0.9, fpr: [0, 0.2, 1], tpr: [0, 0.8, 1] },
        { label: 'b', auc: 0.9, fpr: [0, 0.1, 1], tpr: [0, 0.7, 1] },
      ],
    });
    expect(tracker.images.map((i) => i.key)).toEqual(['evaluate/confusion_matrix', 'evaluate/roc']);
    for (const image of tracker.images) expect(isPng(image.png)).toBe(true);
    expect(tracker.images[0]?.caption).toContain('classes in order: a, b');
    expect(tracker.images[1]?.caption).toContain('b (orange) AUC 0.900');
  });
});
