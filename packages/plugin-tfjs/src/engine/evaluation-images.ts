import type { EvaluateOutput, Logger, Tracker } from '@mlops/core';
import { renderConfusionHeatmap } from '../visualize/confusion-heatmap.js';
import { renderRocPlot } from '../visualize/roc-plot.js';

/** Tracker key of the confusion-matrix heatmap. */
export const CONFUSION_MATRIX_IMAGE_KEY = 'evaluate/confusion_matrix';
/** Tracker key of the ROC plot. */
export const ROC_IMAGE_KEY = 'evaluate/roc';

/**
 * Sends the evaluation's confusion matrix (row-normalized heatmap) and ROC curves as PNG images.
 * Core logs both as tables, which the local report draws itself; remote trackers (W&B) show
 * pictures, so they get these. A rendering failure is reported and does not fail the stage.
 */
export function logEvaluationImages(
  tracker: Tracker,
  result: Pick<EvaluateOutput, 'split' | 'classes' | 'confusionMatrix' | 'roc'>,
  logger?: Pick<Logger, 'warn'>,
): void {
  try {
    tracker.logImage(CONFUSION_MATRIX_IMAGE_KEY, renderConfusionHeatmap(result.confusionMatrix), {
      caption: `${result.split}: rows true class, columns predicted, each row normalized; classes in order: ${result.classes.join(', ')}`,
    });
    const curves = result.roc.filter((curve) => curve.fpr.length > 1);
    if (curves.length > 0) {
      const plot = renderRocPlot(curves);
      tracker.logImage(ROC_IMAGE_KEY, plot.png, {
        caption: `${result.split} one-vs-rest ROC: ${plot.caption}`,
      });
    }
  } catch (error) {
    logger?.warn(`could not render the evaluation images: ${(error as Error).message}`);
  }
}
