import type { Logger, Tracker } from '@mlops/core';
import type { TrainObserver } from '../train/train-observer.js';
import { renderSampleGrid } from '../visualize/sample-grid.js';

/** Tracker key of the grid of augmented training samples. */
export const SAMPLES_KEY = 'samples/train';
/** Prefix of per-layer kernel histograms: `weights/<layer>`. */
export const WEIGHTS_PREFIX = 'weights/';
/** Prefix of per-layer gradient histograms: `gradients/<layer>`. */
export const GRADIENTS_PREFIX = 'gradients/';

/** What {@link trackerObserver} sends. */
export interface TrackerObserverOptions {
  /** Send the sample grid. */
  images: boolean;
  /** Send weight and gradient histograms every epoch. */
  histograms: boolean;
  /** Class names, for the sample grid's caption. */
  classes: readonly string[];
  /** Where a picture that failed to render is reported (training goes on). */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Bridges the trainer's {@link TrainObserver} to trackers: the first augmented batch as an 8×8
 * grid under `samples/train` (labels in the caption), and per epoch `weights/<layer>` and
 * `gradients/<layer>` histograms at step = epoch, the step of the epoch metrics. Undefined when
 * both are off, so the trainer captures nothing.
 */
export function trackerObserver(
  tracker: Tracker,
  options: TrackerObserverOptions,
): TrainObserver | undefined {
  if (!options.images && !options.histograms) return undefined;
  const observer: TrainObserver = {};
  if (options.images) {
    observer.onSamples = (batch, shape, epoch) => {
      try {
        const grid = renderSampleGrid({ ...batch, shape }, { classes: options.classes });
        tracker.logImage(SAMPLES_KEY, grid.png, { step: epoch, caption: grid.caption });
      } catch (error) {
        options.logger?.warn(`could not render the training sample grid: ${(error as Error).message}`);
      }
    };
  }
  if (options.histograms) {
    observer.onDistributions = ({ epoch, weights, gradients }) => {
      for (const [layer, values] of weights) tracker.logHistogram(`${WEIGHTS_PREFIX}${layer}`, values, epoch);
      for (const [layer, values] of gradients) {
        tracker.logHistogram(`${GRADIENTS_PREFIX}${layer}`, values, epoch);
      }
    };
  }
  return observer;
}
