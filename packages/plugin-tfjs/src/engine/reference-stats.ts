import type { DecodedSplit } from '../data/decoded-split.js';
import type { PredictionStats } from '../evaluate/prediction-stats.js';

/** Bins of the pixel-intensity histograms (over 0–255). */
export const REFERENCE_HISTOGRAM_BINS = 32;

/**
 * What the server's drift monitor compares live traffic with: the training inputs' per-channel
 * pixel statistics and the model's prediction distribution on held-out data.
 */
export interface ReferenceStats {
  /** Format marker. */
  format: 'mlops-reference-stats/1';
  /** Images summarized. */
  images: number;
  /** Image shape `[height, width, channels]` as fed to the model. */
  shape: [number, number, number];
  /** Per channel: mean and std of pixel values (0–255) and a histogram of 32 equal bins. */
  channels: { mean: number; std: number; histogram: number[] }[];
  /** Per image mean brightness: a histogram of 32 bins over 0–255 (what PSI is computed on). */
  imageMeanHistogram: number[];
  /** Prediction distribution on the validation split. */
  predictions: {
    classes: string[];
    predictedFrequency: number[];
    meanConfidence: number[];
    overallMeanConfidence: number;
    /** Histogram of max-probability over 20 bins in [0, 1]. */
    confidenceHistogram?: number[];
  };
}

/** Summarizes up to `limit` images of a decoded split (evenly spaced, deterministic). */
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
      const bin = (value * REFERENCE_HISTOGRAM_BINS) >> 8;
      h[bin] = (h[bin] as number) + 1;
      imageSum += value;
    }
    const meanBin = Math.min(
      REFERENCE_HISTOGRAM_BINS - 1,
      Math.floor(((imageSum / perImage) * REFERENCE_HISTOGRAM_BINS) / 256),
    );
    meanHistogram[meanBin] = (meanHistogram[meanBin] as number) + 1;
    images += 1;
  }
  const pixels = images * height * width;
  return {
    format: 'mlops-reference-stats/1',
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
