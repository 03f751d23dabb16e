import { describe, expect, it } from 'vitest';
import {
  parseDriftReference,
  REFERENCE_HISTOGRAM_BINS,
  REFERENCE_STATS_FORMAT,
  referenceBin,
} from '../../src/index.js';

const histogram = Array.from({ length: REFERENCE_HISTOGRAM_BINS }, (_, i) => (i === 12 ? 1 : 0));
const stats = {
  format: REFERENCE_STATS_FORMAT,
  images: 40,
  shape: [28, 28, 1],
  channels: [{ mean: 100, std: 3, histogram }],
  imageMeanHistogram: histogram,
  predictions: {
    classes: ['a', 'b'],
    predictedFrequency: [0.25, 0.75],
    meanConfidence: [0.9, 0.8],
    overallMeanConfidence: 0.825,
  },
};

describe('drift reference', () => {
  it('bins 0–255 values into 32 equal bins, clamping values outside', () => {
    expect([0, 7.99, 8, 100, 255, 255.9].map(referenceBin)).toEqual([0, 0, 1, 12, 31, 31]);
    expect(referenceBin(-3)).toBe(0);
    expect(referenceBin(300)).toBe(REFERENCE_HISTOGRAM_BINS - 1);
  });

  it('keeps what drift needs from a reference-stats artifact', () => {
    expect(parseDriftReference(JSON.parse(JSON.stringify(stats)))).toEqual({
      images: 40,
      imageMeanHistogram: histogram,
      predictions: { classes: ['a', 'b'], predictedFrequency: [0.25, 0.75], overallMeanConfidence: 0.825 },
    });
  });

  it('refuses artifacts it cannot compare with, and reads older ones without optional fields', () => {
    const { format: _format, images: _images, ...older } = stats;
    expect(
      parseDriftReference({ ...older, predictions: { classes: ['a'], predictedFrequency: [1] } }),
    ).toMatchObject({
      images: 0,
      predictions: { overallMeanConfidence: Number.NaN },
    });
    expect(parseDriftReference({ ...stats, format: 'mlops-reference-stats/2' })).toBeUndefined();
    expect(parseDriftReference({ ...stats, imageMeanHistogram: [1] })).toBeUndefined();
    expect(
      parseDriftReference({ ...stats, predictions: { ...stats.predictions, predictedFrequency: [1] } }),
    ).toBeUndefined();
    expect(parseDriftReference('not an object')).toBeUndefined();
  });
});
