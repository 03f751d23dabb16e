import { MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';

/** How per-example losses are combined. */
export type LossReduction = 'mean' | 'sum' | 'none';

/**
 * Softmax cross-entropy from logits with label smoothing, as timm's `LabelSmoothingCrossEntropy`:
 *
 * ```
 * logp = log_softmax(logits)
 * loss = (1 − s) · (−logp[y]) + s · mean_k(−logp[k])
 * ```
 *
 * i.e. cross-entropy against the target `(1 − s)·onehot(y) + s/K` (the smoothing mass is spread
 * over all K classes, the true one included). `log_softmax` subtracts the row maximum before
 * exponentiating, so large logits neither overflow nor lose the small probabilities.
 *
 * @param logits `[batch, K]` float logits.
 * @param labels `[batch]` int32 class indices.
 * @param smoothing Label smoothing `s` in [0, 1); 0 is plain cross-entropy.
 * @param reduction `mean` (default) or `sum` gives a scalar, `none` a `[batch]` vector.
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
  smoothing = 0,
  reduction: LossReduction = 'mean',
): tf.Tensor {
  if (!(smoothing >= 0 && smoothing < 1))
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `Label smoothing must be in [0, 1), got ${smoothing}`, {
      hint: 'Set train.labelSmoothing to a value in [0, 1) (timm: 0.1).',
    });
  if (logits.rank !== 2)
    throw new Error(`Logits must be [batch, classes], got shape [${logits.shape.join(', ')}]`);
  return tf.tidy(() => {
    const numClasses = logits.shape[1]!;
    const logProbs = tf.logSoftmax(logits);
    // The smoothed target is never materialized with `tf.oneHot(labels, K, on, off)`: tfjs's
    // OneHot is int32 by default (0.91/0.01 truncate to 0/0) and the wasm kernel writes int32 bits
    // even when float32 is asked for — the loss and every gradient then vanish on wasm while the
    // cpu backend (which keeps the floats) looks fine. A 0/1 one-hot is exact everywhere.
    const onehot = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), numClasses), 'float32');
    const trueLogProb = tf.sum(tf.mul(onehot, logProbs), -1);
    const perExample =
      smoothing === 0
        ? tf.neg(trueLogProb)
        : tf.neg(tf.add(tf.mul(trueLogProb, 1 - smoothing), tf.mul(tf.mean(logProbs, -1), smoothing)));
    if (reduction === 'none') return perExample;
    return reduction === 'sum' ? tf.sum(perExample) : tf.mean(perExample);
  });
}

/** Number of rows whose arg-max logit is the label (first index wins ties), as an int32 scalar. */
export function countCorrect(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(
    () => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'int32')) as tf.Scalar,
  );
}
