import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** Uses the exact cpu backend, so tfjs outputs are a float32 reference. */
export async function useCpuBackend(): Promise<void> {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  await tf.ready();
}

/** A deterministic pseudo-random generator (mulberry32) for weights and inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Gives BatchNormalization layers non-trivial statistics (fresh ones are the identity, which would
 * hide folding mistakes) and biases random values.
 */
export function randomizeNormAndBias(model: LayersModel, seed = 7): void {
  const next = rng(seed);
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const updated = layer.weights.map((v, i) => {
      const w = weights[i] as tf.Tensor;
      const role = (v.originalName ?? v.name).split('/').pop();
      const size = w.size;
      const values = Float32Array.from({ length: size }, () => next());
      if (role === 'moving_variance')
        return tf.tensor(
          values.map((x) => 0.5 + x),
          w.shape,
        );
      if (role === 'gamma')
        return tf.tensor(
          values.map((x) => 0.5 + x),
          w.shape,
        );
      if (role === 'moving_mean' || role === 'beta' || role === 'bias')
        return tf.tensor(
          values.map((x) => x - 0.5),
          w.shape,
        );
      return w;
    });
    layer.setWeights(updated);
  }
}

/** Uniform random NHWC input in [-1, 1]. */
export function randomInput(n: number, shape: readonly number[], seed = 1): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
}

/** Softmax probabilities of the model (logits → softmax, unless the model ends in softmax). */
export function tfjsProbabilities(
  model: LayersModel,
  x: Float32Array,
  shape: readonly number[],
  softmax = true,
): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(
      tf.tensor(x, [x.length / shape.reduce((a, b) => a * b, 1), ...shape]),
    ) as tf.Tensor;
    return (softmax ? tf.softmax(out) : out).dataSync() as Float32Array;
  });
}
