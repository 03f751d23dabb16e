import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { createOptimizer, type OptimizerConfig } from '../train/create-optimizer.js';
import { trainableVariables } from '../train/model-variables.js';
import { trainStep } from '../train/train-step.js';
import type { BackendProbe, BackendProbeTiming } from './choose-fastest-backend.js';

/** What {@link trainStepProbe} times: the run's own model, batch and optimizer. */
export interface TrainStepProbeOptions {
  /** Builds the model to train on the active backend (the probe disposes it). */
  build: () => LayersModel;
  /** The run's batch size. */
  batchSize: number;
  /** Class count (labels are drawn from it). */
  numClasses: number;
  /** The run's optimizer settings. */
  optimizer: OptimizerConfig;
  /** Label smoothing of the loss. */
  labelSmoothing: number;
  /** Gradient clipping (0: none). */
  gradClip: number;
  /** Timed steps after the warm-up; default 2. */
  timedSteps?: number;
}

/**
 * A {@link BackendProbe} that runs the trainer's own step ({@link trainStep}: forward, smoothed
 * cross-entropy, gradients, clipping, optimizer update, scalars read back as the training loop
 * does) of the actual model at the actual batch and input size on random data. The first step
 * compiles kernels/shaders and uploads weights and is not timed; then up to `timedSteps` steps
 * are timed while they fit the budget. Everything it creates is disposed.
 */
export function trainStepProbe(options: TrainStepProbeOptions): BackendProbe {
  return async (_backend, budgetMs) => {
    const start = performance.now();
    const model = options.build();
    const params = trainableVariables(model);
    // A tiny learning rate: the weights are thrown away, but must stay finite.
    const optimizer = createOptimizer(options.optimizer, params, 1e-6);
    const shape = model.inputs[0]?.shape.slice(1);
    if (!shape || shape.some((d) => typeof d !== 'number')) {
      throw new Error(`model input shape ${JSON.stringify(shape)} is not fixed`);
    }
    const x = tf.randomNormal([options.batchSize, ...(shape as number[])]);
    const y = tf.tensor1d(
      Array.from({ length: options.batchSize }, (_, i) => i % options.numClasses),
      'int32',
    );
    const step = async (): Promise<number> => {
      const began = performance.now();
      const result = trainStep(
        { model, params, optimizer, labelSmoothing: options.labelSmoothing, gradClip: options.gradClip },
        x,
        y,
      );
      try {
        await Promise.all([result.loss.data(), result.correct.data(), result.gradNorm.data()]);
      } finally {
        tf.dispose([result.loss, result.correct, result.gradNorm]);
      }
      return performance.now() - began;
    };
    try {
      const warmupMs = await step();
      const wanted = options.timedSteps ?? 2;
      const times: number[] = [];
      while (times.length < wanted) {
        const estimate = times.length > 0 ? (times[times.length - 1] as number) : warmupMs;
        // The first timed step runs whenever the warm-up left room for it; later ones must fit.
        const used = performance.now() - start;
        if (times.length > 0 ? used + estimate > budgetMs : used >= budgetMs) break;
        times.push(await step());
      }
      const timing: BackendProbeTiming = {
        msPerStep: times.length > 0 ? times.reduce((a, b) => a + b, 0) / times.length : warmupMs,
        timedSteps: times.length,
        warmupMs,
      };
      return timing;
    } finally {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    }
  };
}
