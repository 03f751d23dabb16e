import {
  REFERENCE_HISTOGRAM_BINS,
  REFERENCE_STATS_FORMAT,
  type ReferenceStats,
  referenceBin,
} from '@mlops/core';
import type { DecodedSplit } from '../data/decoded-split.js';
import type { PredictionStats } from '../evaluate/prediction-stats.js';

/**
 * The pixel part of the drift reference ({@link ReferenceStats}, whose format core defines):
 * summarizes up to `limit` images of a decoded split (evenly spaced, deterministic).
 */
export function pixelReferenceStats(
  split: DecodedSplit,
  limit = 10_000,
): Omit<ReferenceStats, 'predictions'> {
  const { height, width, channels } = split;
  const perImage = height * width * channels;
  const step = Math.max(1, Math.floor(split.count / limit));
  const sums = new Float64Array(channels);
  const squares = new Float64Array(channels);
  const histograms = Array.from({ length: channels }, () => new Float64Array(REFERENCE_HISTOGRAM_BINS));
  const meanHistogram = new Float64Array(REFERENCE_HISTOGRAM_BINS);
  let images = 0;
  for (let i = 0; i < split.count; i += step) {
    const offset = i * perImage;
    let imageSum = 0;
    for (let p = 0; p < perImage; p++) {
      const value = split.images[offset + p] as number;
      const c = p % channels;
      sums[c] = (sums[c] as number) + value;
      squares[c] = (squares[c] as number) + value * value;
      const h = histograms[c] as Float64Array;
      // referenceBin(value) for the integer 0–255 values of a decoded split, without its clamps.
      const bin = (value * REFERENCE_HISTOGRAM_BINS) >> 8;
      h[bin] = (h[bin] as number) + 1;
      imageSum += value;
    }
    const meanBin = referenceBin(imageSum / perImage);
    meanHistogram[meanBin] = (meanHistogram[meanBin] as number) + 1;
    images += 1;
  }
  const pixels = images * height * width;
  return {
    format: REFERENCE_STATS_FORMAT,
    images,
    shape: [height, width, channels],
    channels: Array.from({ length: channels }, (_, c) => {
      const mean = (sums[c] as number) / pixels;
      const variance = Math.max(0, (squares[c] as number) / pixels - mean * mean);
      const histogram = histograms[c] as Float64Array;
      return { mean, std: Math.sqrt(variance), histogram: Array.from(histogram, (count) => count / pixels) };
    }),
    imageMeanHistogram: Array.from(meanHistogram, (count) => count / images),
  };
}

/** Adds the prediction distribution to pixel statistics. */
export function withPredictionStats(
  pixels: Omit<ReferenceStats, 'predictions'>,
  stats: PredictionStats,
): ReferenceStats {
  return {
    ...pixels,
    predictions: {
      classes: stats.classes,
      predictedFrequency: stats.predictedFrequency,
      meanConfidence: stats.meanConfidence,
      overallMeanConfidence: stats.overallMeanConfidence,
    },
  };
}
