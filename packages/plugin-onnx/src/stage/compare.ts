import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type * as ort from 'onnxruntime-node';
import { runBatch } from '../runtime/session.js';

/** Images per forward pass when scoring a sample. */
const BATCH = 256;

/** Runs `forward` over `n` images of `shape` in batches of {@link BATCH}; outputs concatenated. */
async function inBatches(
  x: Float32Array,
  n: number,
  shape: readonly number[],
  forward: (images: Float32Array, batchShape: number[]) => Promise<Float32Array>,
): Promise<Float32Array> {
  const per = shape.reduce((a, b) => a * b, 1);
  const parts: Float32Array[] = [];
  for (let start = 0; start < n; start += BATCH) {
    const size = Math.min(BATCH, n - start);
    parts.push(await forward(x.subarray(start * per, (start + size) * per), [size, ...shape]));
  }
  return concat(parts);
}

/** Probabilities of `n` images from tfjs (the model's logits through softmax), `[n, classes]`. */
export async function tfjsProbabilities(
  model: LayersModel,
  x: Float32Array,
  n: number,
  shape: readonly number[],
): Promise<Float32Array> {
  return inBatches(x, n, shape, async (images, batchShape) => {
    const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor(images, batchShape)) as tf.Tensor2D));
    const values = (await probs.data()) as Float32Array;
    probs.dispose();
    return values;
  });
}

/** Probabilities of `n` images from an onnxruntime session, `[n, classes]`. */
export async function onnxProbabilities(
  session: ort.InferenceSession,
  x: Float32Array,
  n: number,
  shape: readonly number[],
): Promise<Float32Array> {
  return inBatches(x, n, shape, (images, batchShape) => runBatch(session, images, batchShape));
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Index of the largest value of each row (first on ties). */
export function argmaxRows(probs: Float32Array, classes: number): Int32Array {
  const rows = probs.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if ((probs[r * classes + c] as number) > (probs[r * classes + best] as number)) best = c;
    out[r] = best;
  }
  return out;
}

/** How closely two probability matrices agree. */
export interface Agreement {
  /** Largest absolute difference of any probability. */
  maxAbsDiff: number;
  /** Fraction of rows with the same top-1 class. */
  top1Agreement: number;
}

/** Max |Δ| and top-1 agreement of two `[n, classes]` probability matrices. */
export function agreement(a: Float32Array, b: Float32Array, classes: number): Agreement {
  let maxAbsDiff = 0;
  for (let i = 0; i < a.length; i++)
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs((a[i] as number) - (b[i] as number)));
  const ta = argmaxRows(a, classes);
  const tb = argmaxRows(b, classes);
  let same = 0;
  for (let i = 0; i < ta.length; i++) if (ta[i] === tb[i]) same++;
  return { maxAbsDiff, top1Agreement: ta.length === 0 ? 1 : same / ta.length };
}

/** Fraction of rows whose top-1 class is the label. */
export function top1Accuracy(probs: Float32Array, labels: Int32Array, classes: number): number {
  const top = argmaxRows(probs, classes);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (top[i] === labels[i]) correct++;
  return labels.length === 0 ? 0 : correct / labels.length;
}
