import { argmaxRows } from './metrics.js';

/**
 * What the model predicts on a reference set — the baseline a server compares live traffic
 * against to detect drift (a shift in the predicted-class mix or a drop in confidence).
 */
export interface PredictionStats {
  /** Images summarized. */
  count: number;
  /** Class labels, in index order. */
  classes: string[];
  /** Fraction of images predicted as each class (arg-max). */
  predictedFrequency: number[];
  /** Mean max-probability of the images predicted as each class; 0 for a class never predicted. */
  meanConfidence: number[];
  /** Mean probability each class receives over all images. */
  meanProbability: number[];
  /** Mean max-probability over all images. */
  overallMeanConfidence: number;
}

/** Summarizes softmax probabilities (row-major `[n, classes.length]`). */
export function predictionStats(
  probabilities: ArrayLike<number>,
  classes: readonly string[],
): PredictionStats {
  const numClasses = classes.length;
  const predicted = argmaxRows(probabilities, numClasses);
  const count = predicted.length;
  const predictedCount = new Array<number>(numClasses).fill(0);
  const confidenceSum = new Array<number>(numClasses).fill(0);
  const probabilitySum = new Array<number>(numClasses).fill(0);
  let overall = 0;
  for (let r = 0; r < count; r++) {
    const c = predicted[r]!;
    const confidence = probabilities[r * numClasses + c]!;
    predictedCount[c]! += 1;
    confidenceSum[c]! += confidence;
    overall += confidence;
    for (let k = 0; k < numClasses; k++) probabilitySum[k]! += probabilities[r * numClasses + k]!;
  }
  return {
    count,
    classes: [...classes],
    predictedFrequency: predictedCount.map((n) => (count === 0 ? 0 : n / count)),
    meanConfidence: confidenceSum.map((s, c) => (predictedCount[c] === 0 ? 0 : s / predictedCount[c]!)),
    meanProbability: probabilitySum.map((s) => (count === 0 ? 0 : s / count)),
    overallMeanConfidence: count === 0 ? 0 : overall / count,
  };
}
