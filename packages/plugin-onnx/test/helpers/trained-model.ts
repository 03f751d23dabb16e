import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, loadModel, saveModel, selectBackend } from '@mlops/plugin-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { fashionMnistSlice, normalizeImages, type SmallSplit } from './fashion-mnist.js';

/** Training images per class of the fixture model. */
const TRAIN_PER_CLASS = 500;

/** A genuinely trained fast_cnn (one epoch on 5,000 Fashion-MNIST images) and held-out data. */
export interface TrainedFixture {
  /** The trained model (wasm backend active). */
  model: LayersModel;
  /** Directory the model is saved in (tfjs model.json + weights.bin). */
  dir: string;
  /** Training images (for calibration). */
  train: SmallSplit;
  /** Held-out images: different images of the same classes. */
  heldOut: SmallSplit;
}

/**
 * Trains the fixture once per machine (deterministic seed; cached in the OS temp dir, so test
 * files share it) and loads it.
 */
export async function trainedFastCnn(): Promise<TrainedFixture> {
  await selectBackend('wasm');
  const train = fashionMnistSlice(0, TRAIN_PER_CLASS);
  const heldOut = fashionMnistSlice(5000, 100);
  const dir = join(tmpdir(), `mlops-onnx-fixture-fast-cnn-${TRAIN_PER_CLASS}-v1`);
  if (!existsSync(join(dir, 'model.json'))) {
    const model = buildModel('fast_cnn', { numClasses: 10, inputSize: 28, inputChannels: 1, seed: 42 });
    const x = tf.tensor4d(normalizeImages(train.images), [train.count, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10);
    await trainLogits(model, x, y);
    x.dispose();
    y.dispose();
    await saveModel(model, dir);
    model.dispose();
  }
  return { model: await loadModel(dir), dir, train, heldOut };
}

/** A few epochs of softmax cross-entropy on the logits with Adam, batch 64. */
async function trainLogits(model: LayersModel, x: tf.Tensor4D, y: tf.Tensor): Promise<void> {
  const optimizer = tf.train.adam(2e-3);
  const n = x.shape[0];
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let start = 0; start < n; start += 64) {
      const size = Math.min(64, n - start);
      optimizer.minimize(() => {
        const xb = tf.slice(x, [start, 0, 0, 0], [size, 28, 28, 1]);
        const yb = tf.slice(y, [start, 0], [size, 10]);
        const logits = model.apply(xb, { training: true }) as tf.Tensor2D;
        return tf.losses.softmaxCrossEntropy(yb, logits);
      });
    }
  }
  optimizer.dispose();
}
