import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateModel, evaluatePredictions } from '../../src/evaluate/evaluator.js';
import type { InferenceResult } from '../../src/evaluate/inference.js';
import { predictionStats } from '../../src/evaluate/prediction-stats.js';
import { syntheticSource, tinyConvModel, useCpuBackend } from '../train/helpers.js';

beforeAll(async () => {
  await useCpuBackend();
});

describe('evaluatePredictions', () => {
  const result: InferenceResult = {
    probabilities: Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.3, 0.4, 0.3, 0.2, 0.2, 0.6]),
    labels: Int32Array.from([0, 1, 2, 2]),
    count: 4,
    numClasses: 3,
    meanLoss: 0.9,
  };

  it('fills the EvaluateOutput fields', () => {
    const evaluation = evaluatePredictions(result, { topK: 2, classes: ['cat', 'dog', 'bus'] });
    expect(evaluation.metrics.top1).toBe(0.75);
    // Row 3 (label 2: 0.3 vs 0.4 and a tied 0.3 at a lower index) is third: not in the top 2.
    expect(evaluation.metrics.top2).toBe(0.75);
    expect(evaluation.metrics.loss).toBe(0.9);
    expect(evaluation.confusionMatrix).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 1, 1],
    ]);
    expect(evaluation.roc.map((r) => r.label)).toEqual(['cat', 'dog', 'bus']);
    expect(evaluation.metrics['auc/cat']).toBe(1);
    expect(evaluation.metrics['auc/bus']).toBe(evaluation.roc[2]!.auc);
    expect(evaluation.metrics.auc_macro).toBeCloseTo(
      (evaluation.roc[0]!.auc + evaluation.roc[1]!.auc + evaluation.roc[2]!.auc) / 3,
      12,
    );
    expect(evaluation.classes).toEqual(['cat', 'dog', 'bus']);
    expect(evaluation.predictionStats.predictedFrequency).toEqual([0.25, 0.5, 0.25]);
  });

  it('leaves classes without positives out of the AUCs and checks the labels', () => {
    const noC = { ...result, labels: Int32Array.from([0, 0, 1, 1]) };
    const evaluation = evaluatePredictions(noC, { topK: 5, classes: ['a', 'b', 'c'] });
    expect(Object.keys(evaluation.metrics).filter((k) => k.startsWith('auc'))).toEqual([
      'auc/a',
      'auc/b',
      'auc_macro',
    ]);
    expect(evaluation.roc.map((r) => r.label)).toEqual(['a', 'b']);
    const allA = evaluatePredictions(
      { ...result, labels: Int32Array.from([0, 0, 0, 0]) },
      { topK: 1, classes: ['a', 'b', 'c'] },
    );
    expect(Object.keys(allA.metrics)).toEqual(['top1', 'loss']);
    expect(evaluation.metrics.top5).toBe(1);
    expect(() => evaluatePredictions(result, { topK: 5, classes: ['a'] })).toThrow(/3 classes/);
  });
});

describe('predictionStats', () => {
  it('summarizes the predicted-class mix and confidence', () => {
    const stats = predictionStats([0.9, 0.1, 0.6, 0.4, 0.2, 0.8], ['a', 'b']);
    expect(stats.count).toBe(3);
    expect(stats.predictedFrequency).toEqual([2 / 3, 1 / 3]);
    expect(stats.meanConfidence[0]).toBeCloseTo(0.75, 12);
    expect(stats.meanConfidence[1]).toBeCloseTo(0.8, 12);
    expect(stats.meanProbability[0]).toBeCloseTo(1.7 / 3, 12);
    expect(stats.overallMeanConfidence).toBeCloseTo(2.3 / 3, 12);
    expect(predictionStats([0.9, 0.1], ['a', 'b']).meanConfidence[1]).toBe(0);
  });
});

describe('evaluateModel', () => {
  it('runs batched inference without training mode and matches a direct prediction', async () => {
    const model = tinyConvModel({ numClasses: 3, seed: 4, dropout: 0.5 });
    const source = syntheticSource({ size: 30, numClasses: 3, seed: 2, shuffle: false });
    const weightsBefore = await Promise.all(model.weights.map((w) => w.read().data()));
    const count = tf.memory().numTensors;
    const first = await evaluateModel(model, source, { topK: 2, classes: ['a', 'b', 'c'], batchSize: 7 });
    const second = await evaluateModel(model, source, { topK: 2, classes: ['a', 'b', 'c'], batchSize: 30 });
    expect(tf.memory().numTensors).toBe(count);
    // Dropout off and BatchNorm statistics untouched: repeatable, whatever the batch size.
    expect(second.metrics.top1).toBe(first.metrics.top1);
    expect(second.metrics.loss).toBeCloseTo(first.metrics.loss!, 5);
    const weightsAfter = await Promise.all(model.weights.map((w) => w.read().data()));
    expect(weightsAfter).toEqual(weightsBefore);

    // The same numbers from a plain predict over all images.
    const images: Float32Array[] = [];
    const labels: number[] = [];
    for await (const batch of source.batches(1, 30)) {
      images.push(batch.x);
      labels.push(...batch.y);
    }
    const probabilities = tf.tidy(() =>
      tf.softmax(model.predict(tf.tensor4d(images[0]!, [30, 8, 8, 1])) as tf.Tensor).arraySync(),
    ) as number[][];
    const correct = probabilities.filter((row, i) => row.indexOf(Math.max(...row)) === labels[i]).length;
    expect(first.metrics.top1).toBeCloseTo(correct / 30, 12);
    const loss = probabilities.reduce((s, row, i) => s - Math.log(row[labels[i]!]!), 0) / 30;
    expect(first.metrics.loss).toBeCloseTo(loss, 4);
    expect(first.count).toBe(30);
    expect(first.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(30);
    for (const curve of first.roc) expect(curve.fpr.length).toBeLessThanOrEqual(101);
    model.dispose();
  });

  it('repeats grayscale data for a 3-channel model and rejects other mismatches', async () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const output = tfl.layers
      .dense({ units: 3 })
      .apply(tfl.layers.flatten().apply(input)) as tfl.SymbolicTensor;
    const rgbModel = tfl.model({ inputs: input, outputs: output });
    const source = syntheticSource({ size: 6, numClasses: 3, seed: 2, shuffle: false });
    const evaluation = await evaluateModel(rgbModel, source, { topK: 1, classes: ['a', 'b', 'c'] });
    expect(evaluation.count).toBe(6);
    const wrongClasses = syntheticSource({ size: 6, numClasses: 4, seed: 2, shuffle: false });
    await expect(
      evaluateModel(rgbModel, wrongClasses, { topK: 1, classes: ['a', 'b', 'c', 'd'] }),
    ).rejects.toThrow(/3 logits/);
    rgbModel.dispose();
  });
});
