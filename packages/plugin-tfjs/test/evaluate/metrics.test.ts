import { describe, expect, it } from 'vitest';
import {
  argmaxRows,
  confusionMatrix,
  downsampleCurve,
  macroAverage,
  oneVsRestRoc,
  rocAuc,
  rocCurve,
  topKAccuracy,
  trapezoidArea,
} from '../../src/evaluate/metrics.js';
import { mulberry32 } from '../../src/train/seeded-random.js';

const scores = [
  [0.1, 0.7, 0.2],
  [0.5, 0.3, 0.2],
  [0.2, 0.3, 0.5],
].flat();
const labels = [1, 1, 0];

describe('top-k accuracy', () => {
  it('counts the true class among the k highest scores', () => {
    expect(topKAccuracy(scores, labels, 3, 1)).toBeCloseTo(1 / 3, 12);
    expect(topKAccuracy(scores, labels, 3, 2)).toBeCloseTo(2 / 3, 12);
    expect(topKAccuracy(scores, labels, 3, 3)).toBe(1);
    expect(topKAccuracy(scores, labels, 3, 5)).toBe(1);
    expect(topKAccuracy([], [], 3, 1)).toBeNaN();
  });

  it('breaks ties towards the lower class index, like argMax', () => {
    expect(topKAccuracy([0.5, 0.5], [1], 2, 1)).toBe(0);
    expect(topKAccuracy([0.5, 0.5], [0], 2, 1)).toBe(1);
    expect(topKAccuracy([0.5, 0.5], [1], 2, 2)).toBe(1);
    expect(Array.from(argmaxRows([0.5, 0.5, 0.1, 0.9], 2))).toEqual([0, 1]);
  });
});

describe('confusion matrix', () => {
  it('has true classes as rows and predictions as columns', () => {
    const predicted = argmaxRows(scores, 3); // [1, 0, 2]
    expect(confusionMatrix(predicted, labels, 3)).toEqual([
      [0, 0, 1],
      [1, 1, 0],
      [0, 0, 0],
    ]);
  });
});

describe('ROC and AUC', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one', () => {
    const s = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1];
    const positive = [1, 1, 1, 0, 0, 0];
    expect(rocAuc(s, positive)).toBe(1);
    expect(
      rocAuc(
        s.map((v) => -v),
        positive,
      ),
    ).toBe(0);
    expect(rocCurve(s, positive)).toEqual({
      fpr: [0, 0, 0, 0, 1 / 3, 2 / 3, 1],
      tpr: [0, 1 / 3, 2 / 3, 1, 1, 1, 1],
    });
  });

  it('is about 0.5 for random scores', () => {
    const random = mulberry32(3);
    const s = Array.from({ length: 4000 }, () => random());
    const positive = Array.from({ length: 4000 }, () => (random() < 0.3 ? 1 : 0));
    expect(Math.abs(rocAuc(s, positive) - 0.5)).toBeLessThan(0.04);
  });

  it('counts ties as half (hand example)', () => {
    // Positives 0.9, 0.8, 0.3; negatives 0.8, 0.3, 0.1. Pairs won: 3 + 2.5 + 1.5 = 7 of 9.
    const s = [0.9, 0.8, 0.8, 0.3, 0.3, 0.1];
    const positive = [1, 1, 0, 1, 0, 0];
    const curve = rocCurve(s, positive);
    expect(curve.fpr).toEqual([0, 0, 1 / 3, 2 / 3, 1]);
    expect(curve.tpr).toEqual([0, 1 / 3, 2 / 3, 1, 1]);
    expect(rocAuc(s, positive)).toBeCloseTo(7 / 9, 12);
    // The input order of tied samples does not matter.
    expect(rocAuc([...s].reverse(), [...positive].reverse())).toBeCloseTo(7 / 9, 12);
    // All scores tied: the diagonal.
    expect(rocAuc([1, 1, 1, 1], [1, 0, 1, 0])).toBe(0.5);
  });

  it('is undefined without positives or negatives', () => {
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(rocCurve([0.1, 0.2], [1, 1])).toEqual({ fpr: [], tpr: [] });
  });

  it('downsamples to at most 101 points on the curve, keeping ends and corners', () => {
    const n = 2000;
    const random = mulberry32(9);
    const s = Array.from({ length: n }, () => random());
    const positive = s.map((v) => (v > 0.5 ? 1 : 0)); // perfectly separable
    const full = rocCurve(s, positive);
    expect(full.fpr.length).toBe(n + 1);
    const small = downsampleCurve(full, 101);
    expect(small.fpr.length).toBeLessThanOrEqual(101);
    expect([small.fpr[0], small.tpr[0]]).toEqual([0, 0]);
    expect([small.fpr.at(-1), small.tpr.at(-1)]).toEqual([1, 1]);
    const corner = small.fpr.findIndex((f, i) => f === 0 && small.tpr[i] === 1);
    expect(corner).toBeGreaterThan(0);
    expect(trapezoidArea(small.fpr, small.tpr)).toBe(1);
    // Each kept point is a point of the full curve.
    const fullPoints = new Set(full.fpr.map((f, i) => `${f},${full.tpr[i]}`));
    small.fpr.forEach((f, i) => {
      expect(fullPoints.has(`${f},${small.tpr[i]}`)).toBe(true);
    });
    // A curve that is already small is returned as is.
    expect(downsampleCurve({ fpr: [0, 1], tpr: [0, 1] })).toEqual({ fpr: [0, 1], tpr: [0, 1] });
  });

  it('gives one-vs-rest curves per class and a macro average over the defined ones', () => {
    const rocs = oneVsRestRoc(scores, labels, 3);
    expect(rocs.map((r) => r.classIndex)).toEqual([0, 1, 2]);
    // Class 0 (positive: row 2, score 0.2) vs rows 0 (0.1), 1 (0.5): wins 1 of 2.
    expect(rocs[0]!.auc).toBeCloseTo(0.5, 12);
    // Class 1 (positives rows 0 (0.7), 1 (0.3)) vs row 2 (0.3): 1 + 0.5 of 2.
    expect(rocs[1]!.auc).toBeCloseTo(0.75, 12);
    // Class 2 has no positives.
    expect(rocs[2]!.auc).toBeNaN();
    expect(rocs[2]!.fpr).toEqual([]);
    expect(macroAverage(rocs.map((r) => r.auc))).toBeCloseTo(0.625, 12);
    expect(macroAverage([Number.NaN])).toBeNaN();
  });
});
